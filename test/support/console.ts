/**
 * What the console's browser tests share: Debian's Chromium, the axe check every page passes,
 * screenshots (to $KMSD_CONSOLE_SCREENSHOTS, default a temporary directory) and a keyboard-only
 * sign-in.
 */
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Page } from "@playwright/test";
import { AxeBuilder } from "@axe-core/playwright";
import type { Credentials, Kmsd } from "./kmsd.ts";

/** Debian's chromium package: Playwright's own browser download needs the internet. */
export const CHROMIUM = "/usr/bin/chromium";

/** Where screenshots go. */
export const SCREENSHOTS = resolve(process.env.KMSD_CONSOLE_SCREENSHOTS || mkdtempSync(join(tmpdir(), "kmsd-console-screenshots-")));

/** Every page passes axe's WCAG 2 A/AA rules. */
export async function assertAccessible(page: Page, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const problems = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`);
  assert.deepEqual(problems, [], `accessibility problems on the ${name} page`);
}

/** Saves a full-page screenshot as console-NAME.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `console-${name}.png`), fullPage: true });
}

/** Signs in with the keyboard only: Tab from the page's start to each field, Enter to submit. */
export async function signInWithKeyboard(page: Page, kmsd: Kmsd, credentials: Credentials): Promise<void> {
  await page.goto(`${kmsd.endpoint}/console/`);
  await page.getByRole("heading", { name: "Sign in to kmsd" }).waitFor();
  await page.locator("body").focus();
  await page.keyboard.press("Tab");
  await page.keyboard.type(credentials.accessKeyId);
  await page.keyboard.press("Tab");
  await page.keyboard.type(credentials.secretAccessKey);
  await page.keyboard.press("Enter");
}
