/**
 * YAML parsing for the deploy files: plain YAML (with `<<` merge keys, as Compose allows) and
 * CloudFormation templates, whose short-form tags (!Ref, !Sub, !GetAtt, ...) become the long form
 * ({ "Ref": ... }, { "Fn::Sub": ... }, ...) so the template can be checked as plain data.
 */
import { parseDocument, type CollectionTag, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';

export interface Parsed {
  value: unknown;
  problems: string[];
}

/** Short-form tag → long-form key. `!Ref` and `!Condition` keep their names; the rest are `Fn::<name>`. */
const CFN_FUNCTIONS = [
  'Ref',
  'Condition',
  'And',
  'Base64',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'ToJsonString',
  'Length',
] as const;

const longName = (name: string) => (name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`);

function cfnTags(): Array<ScalarTag | CollectionTag> {
  const tags: Array<ScalarTag | CollectionTag> = [];
  for (const name of CFN_FUNCTIONS) {
    const key = longName(name);
    tags.push({
      tag: `!${name}`,
      resolve: (value: string) =>
        // `!GetAtt Resource.Attribute` is the scalar form of ["Resource", "Attribute"].
        name === 'GetAtt' ? { [key]: splitOnce(value, '.') } : { [key]: value },
    });
    for (const collection of ['seq', 'map'] as const) {
      tags.push({
        tag: `!${name}`,
        collection,
        resolve: (node: YAMLMap.Parsed | YAMLSeq.Parsed) => ({ [key]: node.toJSON() }),
      });
    }
  }
  return tags;
}

function splitOnce(value: string, sep: string): string[] {
  const at = value.indexOf(sep);
  return at < 0 ? [value] : [value.slice(0, at), value.slice(at + 1)];
}

function parseWith(text: string, options: Parameters<typeof parseDocument>[1]): Parsed {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true, ...options });
  const problems = [...doc.errors, ...doc.warnings].map((e) => {
    const line = e.linePos?.[0];
    return `${line ? `line ${line.line}: ` : ''}${e.message.split('\n')[0]}`;
  });
  return { value: problems.length ? undefined : doc.toJS({ maxAliasCount: 100 }), problems };
}

/** Plain YAML with merge keys (Compose files). */
export function parseYaml(text: string): Parsed {
  return parseWith(text, { merge: true });
}

/** A CloudFormation template: short-form intrinsic functions resolved to their long form. */
export function parseCloudFormation(text: string): Parsed {
  return parseWith(text, { customTags: cfnTags() });
}
