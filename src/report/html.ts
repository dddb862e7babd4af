/**
 * HTML built by a tagged template that escapes every interpolation by default: a value becomes markup only when it is
 * already `SafeHtml` (made by this template, or by `trustedHtml` for the few constants of the page itself). Output of
 * commands, titles, paths and summaries can therefore never open a tag, close the `<style>` or `<script>` element, or
 * leave an attribute — whatever bytes they hold.
 */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** An interpolated value: text (escaped), a number, markup, nothing (`null`, `undefined`, `false`), or a list of them. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text for an element's content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false || value === true) return "";
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) {
    let out = "";
    for (const item of value as readonly HtmlValue[]) out += render(item);
    return out;
  }
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  return escapeHtml(value as string);
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] as string;
  for (let i = 0; i < values.length; i++) out += render(values[i] as HtmlValue) + (strings[i + 1] as string);
  return new SafeHtml(out);
}

/** Markup written by this program (its stylesheet and script), never data. */
export function trustedHtml(text: string): SafeHtml {
  return new SafeHtml(text);
}

/** A list of fragments joined with a separator (both already safe). */
export function joinHtml(items: readonly SafeHtml[], separator: SafeHtml = new SafeHtml("")): SafeHtml {
  return new SafeHtml(items.map((i) => i.text).join(separator.text));
}
