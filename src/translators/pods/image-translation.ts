/**
 * `--translate-image virtual=host`: the image a host pod runs instead of the one its virtual pod
 * names (a mirror the host's nodes can pull from, an image the host's policy allows), as vCluster's
 * sync.toHost.pods.translateImage.
 *
 * An entry matches an image exactly, as vCluster matches. An entry whose virtual side names a
 * repository without a tag or digest also matches every tag and digest of that repository, and
 * carries them to a host side that names none itself: `nginx=mirror.example.com/nginx` makes
 * `nginx:1.27` run as `mirror.example.com/nginx:1.27`. An exact entry wins over a repository one.
 */

/** Images by image, as the flag's entries say. */
export type ImageTranslations = ReadonlyMap<string, string>;

/** The part of an image reference after its repository: `:tag`, `@digest`, both, or "". */
function tagAndDigest(image: string): { repository: string; suffix: string } {
  const at = image.indexOf('@');
  const beforeDigest = at < 0 ? image : image.slice(0, at);
  // A colon after the last slash is a tag; one before it belongs to a registry's port.
  const colon = beforeDigest.lastIndexOf(':');
  const tagAt = colon > beforeDigest.lastIndexOf('/') ? colon : -1;
  const cut = tagAt >= 0 ? tagAt : at;
  return cut < 0
    ? { repository: image, suffix: '' }
    : { repository: image.slice(0, cut), suffix: image.slice(cut) };
}

/** What is wrong with the flag's entries, or undefined when each is `virtual=host` with both sides. */
export function invalidImageTranslations(entries: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (const entry of entries) {
    const parts = entry.split('=');
    if (parts.length !== 2 || !parts[0]!.trim() || !parts[1]!.trim())
      return `must be virtual-image=host-image, got ${JSON.stringify(entry)}`;
    if (/\s/.test(entry)) return `an image has no spaces, got ${JSON.stringify(entry)}`;
    if (seen.has(parts[0]!)) return `image ${JSON.stringify(parts[0])} is translated twice`;
    seen.add(parts[0]!);
  }
  return undefined;
}

/** The entries as a map (validated by invalidImageTranslations first). */
export function parseImageTranslations(entries: readonly string[]): ImageTranslations {
  return new Map(entries.map((e) => e.split('=') as [string, string]));
}

/** The image a host container runs for a virtual container's image. */
export function translateImage(image: string, translations: ImageTranslations): string {
  if (translations.size === 0) return image;
  const exact = translations.get(image);
  if (exact !== undefined) return exact;
  const { repository, suffix } = tagAndDigest(image);
  const target = suffix ? translations.get(repository) : undefined;
  if (target === undefined) return image;
  return tagAndDigest(target).suffix ? target : target + suffix;
}
