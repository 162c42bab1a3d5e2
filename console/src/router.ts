/**
 * Hash routing (#/keys/1234abcd...): every page is index.html, so the server serves only the
 * files the build wrote and any other path stays a plain 404.
 */
import { useEffect, useState } from "preact/hooks";

/** The current route: its path segments and query parameters. */
export interface Route {
  segments: string[];
  params: URLSearchParams;
}

function current(): Route {
  const hash = window.location.hash.replace(/^#\/?/, "");
  const [path = "", query = ""] = hash.split("?");
  return { segments: path.split("/").filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(query) };
}

/** The route, updated when the hash changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const onChange = () => setRoute(current());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

/** The href of a console page (`href("keys", id)`). */
export function href(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join("/")}`;
}

/** Goes to a console page. */
export function navigate(...segments: string[]): void {
  window.location.hash = href(...segments);
}
