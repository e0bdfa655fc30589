import { invalidImageTranslations, parseImageTranslations, translateImage } from './image-translation.ts';

describe('translateImage (--translate-image)', () => {
  const translations = parseImageTranslations([
    'nginx=mirror.example.com/library/nginx',
    'nginx:1.25=mirror.example.com/pinned/nginx:1.25.5',
    'registry.local:5000/app=mirror.example.com/app:stable',
    'busybox:1.36=mirror.example.com/busybox:1.36',
  ]);
  it.each([
    // An exact entry wins over a repository one.
    ['nginx:1.25', 'mirror.example.com/pinned/nginx:1.25.5'],
    ['nginx', 'mirror.example.com/library/nginx'],
    // A repository entry carries the tag and the digest over to a target without its own.
    ['nginx:1.27', 'mirror.example.com/library/nginx:1.27'],
    ['nginx@sha256:abc', 'mirror.example.com/library/nginx@sha256:abc'],
    ['nginx:1.27@sha256:abc', 'mirror.example.com/library/nginx:1.27@sha256:abc'],
    // A registry port is not a tag; a target with its own tag keeps it.
    ['registry.local:5000/app:v2', 'mirror.example.com/app:stable'],
    // An entry with a tag matches only that tag; other images are left alone.
    ['busybox:1.35', 'busybox:1.35'],
    ['docker.io/library/nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['nginx-extra:1', 'nginx-extra:1'],
  ])('%s → %s', (image, expected) => {
    expect(translateImage(image, translations)).toBe(expected);
  });

  it('no entries: every image is kept', () => {
    expect(translateImage('nginx:1', new Map())).toBe('nginx:1');
  });

  it.each([
    [['nginx'], 'must be virtual-image=host-image, got "nginx"'],
    [['=mirror/nginx'], 'must be virtual-image=host-image, got "=mirror/nginx"'],
    [['a=b=c'], 'must be virtual-image=host-image, got "a=b=c"'],
    [['nginx =mirror/nginx'], 'an image has no spaces, got "nginx =mirror/nginx"'],
    [['nginx=a', 'nginx=b'], 'image "nginx" is translated twice'],
  ])('refuses %j: %s', (entries, message) => {
    expect(invalidImageTranslations(entries)).toBe(message);
  });

  it('accepts well-formed entries', () => {
    expect(invalidImageTranslations(['nginx=mirror/nginx', 'app:1=mirror/app:1'])).toBeUndefined();
  });
});
