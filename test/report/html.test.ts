import { expect, test } from "bun:test";
import { escapeHtml, html, joinHtml, trustedHtml } from "../../src/report/html.ts";

test("every interpolation is escaped unless it is markup made by the template", () => {
  const hostile = `</style><script>alert("x")</script><img src=x onerror='y'>&amp;`;
  const page = html`<p title="${hostile}">${hostile}</p>`;
  expect(page.text).toBe(
    '<p title="&lt;/style&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;y&#39;&gt;&amp;amp;">&lt;/style&gt;&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=&#39;y&#39;&gt;&amp;amp;</p>',
  );
  // Nested templates stay markup; lists are joined; nothing-values vanish; numbers are text.
  const inner = html`<b>${"<i>"}</b>`;
  expect(html`${inner}${[inner, "<u>"]}${null}${undefined}${false}${42}${Number.NaN}`.text).toBe("<b>&lt;i&gt;</b><b>&lt;i&gt;</b>&lt;u&gt;42");
  expect(joinHtml([html`a`, html`b`], trustedHtml("<br>")).text).toBe("a<br>b");
  expect(escapeHtml(`"'<>&`)).toBe("&quot;&#39;&lt;&gt;&amp;");
});
