import { refusedTemplateCall, templateIdentifiers } from './go-template.ts';

describe('templateIdentifiers', () => {
  it('reads the bare names of actions: functions and keywords, not fields, variables, strings or comments', () => {
    const text =
      'user: {{ .user | upper }} {{- if $x.ok }}{{ printf "%s {{ getSecretKey }}" `lookup` }}{{ end -}} ' +
      "{{/* env */}}{{ 'e' }} plain getSecretKey text";
    expect([...templateIdentifiers(text)].sort()).toEqual(['end', 'if', 'printf', 'upper']);
  });

  it('an action left open runs to the end of the text, a string left open too', () => {
    expect([...templateIdentifiers('a {{ b64enc (getSecretKey "a" "b" "c")')]).toEqual([
      'b64enc',
      'getSecretKey',
    ]);
    expect([...templateIdentifiers('{{ "open }} env')]).toEqual([]);
  });

  it('a string closing an action inside it does not end the action', () => {
    expect([...templateIdentifiers('{{ print "}}" | env }}')]).toEqual(['print', 'env']);
  });
});

describe('refusedTemplateCall', () => {
  it.each([
    ['{{ getSecretKey "vc-x" "vc-x" "config" }}', 'getSecretKey'],
    ['{{- (lookup "v1" "Secret" "kube-system" "x").data -}}', 'lookup'],
    ['{{ env "AWS_SECRET_ACCESS_KEY" }}', 'env'],
    ['{{ expandenv "$HOME" }}', 'expandenv'],
    ['{{ getHostByName "kubernetes.default" }}', 'getHostByName'],
    ['{{ .a }}{{ "x" | getSecretKey }}', 'getSecretKey'],
  ])('%s calls %s', (text, name) => expect(refusedTemplateCall(text)).toBe(name));

  it.each([
    'env "A" outside any action',
    '{{ .env }}',
    '{{ $env := 1 }}',
    '{{ "env" }}',
    '{{/* lookup */}}',
    '{{ .password | b64dec | upper }}',
    '{{ .getSecretKeys }} mygetSecretKey',
  ])('%s calls none', (text) => expect(refusedTemplateCall(text)).toBeUndefined());

  it.each(['<< getSecretKey "a" "b" "c" >>', '{{ "getSecretKey" }}', 'getSecretKey'])(
    '%s names getSecretKey: refused as a word anywhere (a host ESO may be started with other delimiters)',
    (text) => expect(refusedTemplateCall(text)).toBe('getSecretKey'),
  );

  it('getHostByName too is refused as a word (ESO keeps it; other delimiters call it unseen)', () => {
    expect(refusedTemplateCall('[[ getHostByName "kubernetes.default" ]]')).toBe('getHostByName');
    expect(refusedTemplateCall('[[ getHostByName "x" ]]', new Set(['getSecretKey']))).toBeUndefined();
  });

  it('judges only the functions asked about', () => {
    expect(refusedTemplateCall('{{ env "X" }}', new Set(['getSecretKey']))).toBeUndefined();
  });
});
