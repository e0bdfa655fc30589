/**
 * The two DNS-1123 name shapes the API server holds object names to: a label (namespaces, Services;
 * at most 63 characters) and a subdomain (most other objects; dot-separated labels, at most 253).
 */
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const isDnsLabel = (name: string): boolean => name.length <= 63 && LABEL.test(name);

export const isDnsSubdomain = (name: string): boolean => name.length <= 253 && SUBDOMAIN.test(name);
