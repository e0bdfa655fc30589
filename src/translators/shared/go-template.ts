/**
 * What a Go template (text/template) a host controller renders would call. Host controllers render
 * tenants' templates with their own function maps, and a few of those functions reach past the object
 * with the controller's own credentials or network position: the External Secrets Operator's
 * `getSecretKey` (v0.20.2 to v1.1.1) reads any Secret of the host cluster; Helm's `lookup` any object;
 * sprig's `env` and `expandenv` the controller's environment; its `getHostByName` resolves a name
 * from inside the host network.
 *
 * Go templates call functions only by name (a function is not a value a template can compute), so
 * reading each action's bare identifiers finds every call made between the default delimiters; those
 * ESO keeps that reach past the object are refused wherever they are named (see REFUSED_AS_WORDS).
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

/**
 * The functions of ESO's map (which keeps sprig's but env and expandenv) that reach past the object,
 * looked for as words anywhere, not only between `{{` and `}}`: a host ESO started with other
 * delimiters (--template-left-delimiter) calls them between those, and no text but a template has
 * cause to name them.
 */
const REFUSED_AS_WORDS = new Map([
  ['getSecretKey', /\bgetSecretKey\b/],
  ['getHostByName', /\bgetHostByName\b/],
]);

/** The first function of `refused` the template calls, or undefined (cheap when it has no action). */
export function refusedTemplateCall(
  text: string,
  refused: ReadonlySet<string> = HOST_REACHING_TEMPLATE_FUNCTIONS,
): string | undefined {
  for (const [name, word] of REFUSED_AS_WORDS) if (refused.has(name) && word.test(text)) return name;
  if (!text.includes('{{')) return undefined;
  for (const name of templateIdentifiers(text)) if (refused.has(name)) return name;
  return undefined;
}

/** The function of the host's External Secrets Operator that reads any host Secret. */
export const SECRET_READING_FUNCTIONS: ReadonlySet<string> = new Set(['getSecretKey']);

/**
 * Why a ConfigMap's or Secret's data (`base64` for a Secret's) may not reach the host as a template
 * source, or undefined: a value calling one of `refused`, which ESO's `templateFrom` would run with
 * ESO's rights (getSecretKey, v0.20.2 to v1.1.1: any Secret of the host cluster), into a Secret the
 * tenant gets back. Every copy is held to getSecretKey (the default); the template sources an
 * ExternalSecret names, to the whole list.
 */
export function secretReadingDataRefusal(
  data: unknown,
  base64: boolean,
  refused: ReadonlySet<string> = SECRET_READING_FUNCTIONS,
): string | undefined {
  if (!data || typeof data !== 'object') return undefined;
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (typeof value !== 'string') continue;
    const text = base64 ? Buffer.from(value, 'base64').toString('utf8') : value;
    const call = refusedTemplateCall(text, refused);
    if (call)
      return `data key ${JSON.stringify(key)} holds a template calling ${call}, which the host's External Secrets Operator runs with its own rights${call === 'getSecretKey' ? ' (v0.20.2 to v1.1.1: it reads any Secret of the host cluster)' : ''}`;
  }
  return undefined;
}
