/**
 * What the console's browser tests share: Debian's Chromium driven by Playwright, a page
 * that records script errors and CSP violations, axe's accessibility check, screenshots,
 * and signing in by keyboard.
 *
 * Screenshots go to $KMSD_CONSOLE_SCREENSHOTS (default: a temporary directory, named in the
 * test output); `KMSD_CONSOLE_SCREENSHOTS=docs/images npm test` refreshes the README's.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "@playwright/test";
import { AxeBuilder } from "@axe-core/playwright";
import type { Credentials, Kmsd } from "./kmsd.ts";

/** Debian's chromium package (Playwright's own browser download needs the internet). */
export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = resolve(process.env.KMSD_CONSOLE_SCREENSHOTS || mkdtempSync(join(tmpdir(), "kmsd-console-screenshots-")));

/** Why a console suite is skipped on this machine, or false. */
export const SKIP_WITHOUT_CHROMIUM: string | false = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install chromium)`;

/** A browser and one page in it; `errors` collects script errors and CSP violations (a failure even when the page looks right). */
export async function openBrowser(): Promise<{ browser: Browser; page: Page; errors: string[] }> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on("console", (message) => message.type() === "error" && !/status of 4\d\d/.test(message.text()) && errors.push(message.text()));
  page.on("pageerror", (error) => errors.push(error.message));
  return { browser, page, errors };
}

/** Every page passes axe's WCAG 2 A/AA rules. */
export async function assertAccessible(page: Page, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const problems = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`);
  assert.deepEqual(problems, [], `accessibility problems on the ${name} page`);
}

/** Saves a full-page screenshot as console-<name>.png. */
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
