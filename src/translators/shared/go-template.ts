/**
 * What a Go template (text/template) a host controller renders would call. Host controllers render
 * tenants' templates with their own function maps, and a few of those functions reach past the object
 * with the controller's own credentials or network position: the External Secrets Operator's
 * `getSecretKey` (v0.20.2 to v1.1.1) reads any Secret of the host cluster; Helm's `lookup` any object;
 * sprig's `env` and `expandenv` the controller's environment; its `getHostByName` resolves a name
 * from inside the host network.
 *
 * Go templates call functions only by name (a function is not a value a template can compute), so
 * reading each action's bare identifiers finds every call.
 */

/** Functions of host controllers' template engines that read beyond the object being rendered. */
export const HOST_REACHING_TEMPLATE_FUNCTIONS: ReadonlySet<string> = new Set([
  'getSecretKey',
  'lookup',
  'env',
  'expandenv',
  'getHostByName',
]);

/**
 * The bare identifiers of a template's actions (`{{ ... }}`): function names and keywords, not fields
 * (`.Name`), variables (`$x`), strings or comments. An action left open runs to the end of the text,
 * so nothing hides after a stray `{{`.
 */
export function templateIdentifiers(text: string): Set<string> {
  const found = new Set<string>();
  let i = text.indexOf('{{');
  while (i !== -1) {
    i += 2;
    while (i < text.length && !text.startsWith('}}', i)) {
      const c = text[i]!;
      if (text.startsWith('/*', i)) {
        const end = text.indexOf('*/', i + 2);
        i = end === -1 ? text.length : end + 2;
      } else if (c === '"' || c === "'") {
        i = afterQuoted(text, i, c);
      } else if (c === '`') {
        const end = text.indexOf('`', i + 1);
        i = end === -1 ? text.length : end + 1;
      } else if (/[A-Za-z_]/.test(c)) {
        const start = i;
        while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
        const before = text[start - 1];
        if (before !== '.' && before !== '$') found.add(text.slice(start, i));
      } else i++;
    }
    i = text.indexOf('{{', i);
  }
  return found;
}

/** The index just past a quoted string or character constant opened at `start`. */
function afterQuoted(text: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === quote) return i + 1;
    else i++;
  }
  return text.length;
}

/** The first function of `refused` the template calls, or undefined (cheap when it has no action). */
export function refusedTemplateCall(
  text: string,
  refused: ReadonlySet<string> = HOST_REACHING_TEMPLATE_FUNCTIONS,
): string | undefined {
  if (!text.includes('{{')) return undefined;
  for (const name of templateIdentifiers(text)) if (refused.has(name)) return name;
  return undefined;
}
