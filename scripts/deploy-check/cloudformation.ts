/**
 * Structural checks of a CloudFormation template (already parsed to its long form by ./yaml), without
 * AWS or cfn-lint: known resource types with their required and allowed properties, every Ref / GetAtt /
 * Sub / If / Condition target defined, every parameter and condition used, no dependency cycle, parameter
 * defaults within their constraints, secrets NoEcho. Then what the Concierge stack must be: the
 * EventBridge connection → API destination → rule wiring, and the service's IAM policy listing exactly the
 * actions the service calls.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface ResourceSpec {
  required: string[];
  properties: string[];
  /** Attributes Fn::GetAtt may read (the schema's read-only properties). */
  attributes: string[];
}

/**
 * The resource types this repository uses, from the CloudFormation resource provider schemas (as bundled
 * with cfn-lint; test/deploy cross-checks this table against them when cfn-lint is installed). A template
 * using any other type fails until it is added here.
 */
export const RESOURCE_SPECS: Record<string, ResourceSpec> = {
  'AWS::Events::Connection': {
    required: [],
    properties: [
      'AuthParameters',
      'AuthorizationType',
      'Description',
      'InvocationConnectivityParameters',
      'KmsKeyIdentifier',
      'Name',
    ],
    attributes: ['Arn', 'ArnForPolicy', 'SecretArn'],
  },
  'AWS::Events::ApiDestination': {
    required: ['ConnectionArn', 'HttpMethod', 'InvocationEndpoint'],
    properties: [
      'ConnectionArn',
      'Description',
      'HttpMethod',
      'InvocationEndpoint',
      'InvocationRateLimitPerSecond',
      'Name',
    ],
    attributes: ['Arn', 'ArnForPolicy'],
  },
  'AWS::Events::Rule': {
    required: [],
    properties: [
      'Description',
      'EventBusName',
      'EventPattern',
      'Name',
      'RoleArn',
      'ScheduleExpression',
      'State',
      'Tags',
      'Targets',
    ],
    attributes: ['Arn'],
  },
  'AWS::IAM::Role': {
    required: ['AssumeRolePolicyDocument'],
    properties: [
      'AssumeRolePolicyDocument',
      'Description',
      'ManagedPolicyArns',
      'MaxSessionDuration',
      'Path',
      'PermissionsBoundary',
      'Policies',
      'RoleName',
      'Tags',
    ],
    attributes: ['Arn', 'RoleId'],
  },
  'AWS::IAM::ManagedPolicy': {
    required: ['PolicyDocument'],
    properties: ['Description', 'Groups', 'ManagedPolicyName', 'Path', 'PolicyDocument', 'Roles', 'Users'],
    attributes: [
      'AttachmentCount',
      'CreateDate',
      'DefaultVersionId',
      'IsAttachable',
      'PermissionsBoundaryUsageCount',
      'PolicyArn',
      'PolicyId',
      'UpdateDate',
    ],
  },
  'AWS::SQS::Queue': {
    required: [],
    properties: [
      'ContentBasedDeduplication',
      'DeduplicationScope',
      'DelaySeconds',
      'FifoQueue',
      'FifoThroughputLimit',
      'KmsDataKeyReusePeriodSeconds',
      'KmsMasterKeyId',
      'MaximumMessageSize',
      'MessageRetentionPeriod',
      'QueueName',
      'ReceiveMessageWaitTimeSeconds',
      'RedriveAllowPolicy',
      'RedrivePolicy',
      'SqsManagedSseEnabled',
      'Tags',
      'VisibilityTimeout',
    ],
    attributes: ['Arn', 'QueueUrl'],
  },
  'AWS::SQS::QueuePolicy': {
    required: ['PolicyDocument', 'Queues'],
    properties: ['PolicyDocument', 'Queues'],
    attributes: ['Id'],
  },
};

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::NoValue',
  'AWS::NotificationARNs',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackId',
  'AWS::StackName',
  'AWS::URLSuffix',
]);
const TOP_LEVEL = new Set([
  'AWSTemplateFormatVersion',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Mappings',
  'Conditions',
  'Transform',
  'Resources',
  'Outputs',
]);
const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'UpdatePolicy',
  'CreationPolicy',
  'Metadata',
]);
const SECRET_NAME = /key|secret|password|token|credential/i;

/** The IAM actions the Concierge service calls, and nothing else (README: Deploying). */
export const SERVICE_ACTIONS = [
  'aws-marketplace:BatchMeterUsage',
  'bedrock:InvokeModel',
  'bedrock:InvokeModelWithResponseStream',
  'connect:DescribeContact',
  'connect:DescribeUser',
  'connect:ListRealtimeContactAnalysisSegments',
  'connect:ListRealtimeContactAnalysisSegmentsV2',
  'connect:SearchContacts',
] as const;

/** Actions with no resource-level permissions: the only ones allowed on Resource "*". */
const NO_RESOURCE_LEVEL = new Set(['aws-marketplace:BatchMeterUsage']);

// ---------------------------------------------------------------------------------------------------
// Generic template checks

interface Walk {
  params: Set<string>;
  resources: Obj;
  conditions: Set<string>;
  usedParams: Set<string>;
  usedConditions: Set<string>;
  /** resource → resources it refers to (Ref, GetAtt, Sub, DependsOn) */
  graph: Map<string, Set<string>>;
  problems: string[];
}

/** Placeholders of an Fn::Sub string: `${Name}` and `${Res.Attr}`, not the literal `${!Text}`. */
export function subPlaceholders(text: string): string[] {
  return [...text.matchAll(/\$\{([^}!][^}]*)\}/g)].map((m) => (m[1] ?? '').trim());
}

function checkRef(w: Walk, name: Json, at: string, from: string | null, inConditions: boolean) {
  if (typeof name !== 'string' || !name) return w.problems.push(`${at}: Ref needs a name`);
  if (PSEUDO_PARAMETERS.has(name)) return;
  if (w.params.has(name)) return void w.usedParams.add(name);
  if (name in w.resources) {
    if (inConditions) w.problems.push(`${at}: a condition cannot Ref resource ${name}`);
    if (from) deps(w, from).add(name);
    return;
  }
  w.problems.push(`${at}: Ref to ${name}, which is no parameter, resource or pseudo parameter`);
}

function checkGetAtt(w: Walk, resource: string, attribute: string, at: string, from: string | null) {
  const target = w.resources[resource];
  if (!isObj(target)) return void w.problems.push(`${at}: GetAtt of unknown resource ${resource}`);
  if (from) deps(w, from).add(resource);
  const spec = typeof target.Type === 'string' ? RESOURCE_SPECS[target.Type] : undefined;
  if (spec && !spec.attributes.includes(attribute)) {
    w.problems.push(
      `${at}: ${resource} (${String(target.Type)}) has no attribute ${attribute} (has ${spec.attributes.join(', ')})`,
    );
  }
}

function deps(w: Walk, from: string): Set<string> {
  let set = w.graph.get(from);
  if (!set) w.graph.set(from, (set = new Set()));
  return set;
}

function checkCondition(w: Walk, name: Json, at: string) {
  if (typeof name !== 'string' || !w.conditions.has(name)) {
    w.problems.push(`${at}: unknown condition ${JSON.stringify(name)}`);
  } else {
    w.usedConditions.add(name);
  }
}

/** Walks a value, checking every intrinsic function in it. `from` is the resource it belongs to. */
function walk(w: Walk, value: Json, at: string, from: string | null, inConditions = false): void {
  if (Array.isArray(value)) return value.forEach((v, i) => walk(w, v, `${at}[${i}]`, from, inConditions));
  if (!isObj(value)) return;
  const keys = Object.keys(value);
  const fn = keys.length === 1 ? keys[0] : undefined;
  const arg = fn !== undefined ? (value[fn] as Json) : null;
  switch (fn) {
    case 'Ref':
      return void checkRef(w, arg, at, from, inConditions);
    case 'Condition':
      if (inConditions) return checkCondition(w, arg, at);
      break;
    case 'Fn::GetAtt': {
      if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string') {
        return void w.problems.push(`${at}: GetAtt takes [Resource, Attribute]`);
      }
      if (typeof arg[1] === 'string') return checkGetAtt(w, arg[0], arg[1], at, from);
      return walk(w, arg[1] ?? null, `${at}.GetAtt`, from, inConditions);
    }
    case 'Fn::Sub': {
      const [text, vars] = Array.isArray(arg) ? [arg[0], arg[1]] : [arg, undefined];
      if (typeof text !== 'string') return void w.problems.push(`${at}: Sub needs a string`);
      if (vars !== undefined) walk(w, vars, `${at}.Sub`, from, inConditions);
      const local = isObj(vars) ? new Set(Object.keys(vars)) : new Set<string>();
      for (const name of subPlaceholders(text)) {
        if (local.has(name)) continue;
        const dot = name.indexOf('.');
        if (dot > 0 && !PSEUDO_PARAMETERS.has(name)) {
          checkGetAtt(w, name.slice(0, dot), name.slice(dot + 1), `${at} \${${name}}`, from);
        } else {
          checkRef(w, name, `${at} \${${name}}`, from, inConditions);
        }
      }
      return;
    }
    case 'Fn::If': {
      if (!Array.isArray(arg) || arg.length !== 3) return void w.problems.push(`${at}: If takes 3 items`);
      checkCondition(w, arg[0] ?? null, at);
      return walk(w, arg.slice(1), at, from, inConditions);
    }
    default:
      break;
  }
  for (const [k, v] of Object.entries(value)) walk(w, v, `${at}.${k}`, from, inConditions);
}

function checkParameter(name: string, p: Json, problems: string[]) {
  const at = `Parameters.${name}`;
  if (!isObj(p)) return void problems.push(`${at}: not a mapping`);
  const type = p.Type;
  if (
    typeof type !== 'string' ||
    !/^(String|Number|List<Number>|CommaDelimitedList|(List<)?AWS::[A-Za-z0-9:<>]+)$/.test(type)
  ) {
    problems.push(`${at}: bad Type ${JSON.stringify(type)}`);
  }
  if (SECRET_NAME.test(name)) {
    if (p.NoEcho !== true) problems.push(`${at}: a secret parameter must be NoEcho: true`);
    if (p.Default !== undefined) problems.push(`${at}: a secret parameter must have no Default`);
  }
  const dflt = p.Default;
  if (dflt === undefined) return;
  const text = String(dflt);
  if (Array.isArray(p.AllowedValues) && !p.AllowedValues.map(String).includes(text)) {
    problems.push(`${at}: Default ${JSON.stringify(text)} is not one of AllowedValues`);
  }
  if (typeof p.AllowedPattern === 'string' && !new RegExp(p.AllowedPattern).test(text)) {
    problems.push(`${at}: Default ${JSON.stringify(text)} does not match AllowedPattern`);
  }
  if (type === 'Number') {
    const n = Number(dflt);
    if (Number.isNaN(n)) problems.push(`${at}: Default is not a number`);
    if (typeof p.MinValue === 'number' && n < p.MinValue) problems.push(`${at}: Default below MinValue`);
    if (typeof p.MaxValue === 'number' && n > p.MaxValue) problems.push(`${at}: Default above MaxValue`);
  }
}

function findCycle(graph: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 'done') return null;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const m of graph.get(n) ?? []) {
      const cycle = visit(m);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of graph.keys()) {
    const cycle = visit(n);
    if (cycle) return cycle;
  }
  return null;
}

/** Checks any template for what CloudFormation itself would refuse (or silently ignore). */
export function checkTemplate(template: unknown): string[] {
  const problems: string[] = [];
  if (!isObj(template)) return ['the template is not a mapping'];
  for (const key of Object.keys(template)) {
    if (!TOP_LEVEL.has(key)) problems.push(`unknown top-level section ${key}`);
  }
  if (template.AWSTemplateFormatVersion !== undefined && template.AWSTemplateFormatVersion !== '2010-09-09') {
    problems.push('AWSTemplateFormatVersion must be "2010-09-09" (quoted)');
  }
  const params = isObj(template.Parameters) ? template.Parameters : {};
  const conditions = isObj(template.Conditions) ? template.Conditions : {};
  const resources = isObj(template.Resources) ? template.Resources : {};
  if (Object.keys(resources).length === 0) problems.push('Resources: at least one resource is required');

  const w: Walk = {
    params: new Set(Object.keys(params)),
    resources,
    conditions: new Set(Object.keys(conditions)),
    usedParams: new Set(),
    usedConditions: new Set(),
    graph: new Map(),
    problems,
  };
  for (const [name, p] of Object.entries(params)) checkParameter(name, p, problems);
  for (const [name, c] of Object.entries(conditions)) walk(w, c, `Conditions.${name}`, null, true);

  for (const [name, r] of Object.entries(resources)) {
    const at = `Resources.${name}`;
    if (!isObj(r)) {
      problems.push(`${at}: not a mapping`);
      continue;
    }
    for (const key of Object.keys(r)) {
      if (!RESOURCE_KEYS.has(key)) problems.push(`${at}: unknown key ${key}`);
    }
    const spec = typeof r.Type === 'string' ? RESOURCE_SPECS[r.Type] : undefined;
    if (!spec) {
      problems.push(`${at}: unknown or unsupported Type ${JSON.stringify(r.Type)}`);
    } else {
      const props = isObj(r.Properties) ? r.Properties : {};
      for (const req of spec.required) {
        if (!(req in props)) problems.push(`${at}: ${String(r.Type)} requires property ${req}`);
      }
      for (const key of Object.keys(props)) {
        if (!spec.properties.includes(key)) problems.push(`${at}: ${String(r.Type)} has no property ${key}`);
      }
    }
    if (r.Condition !== undefined) checkCondition(w, r.Condition, `${at}.Condition`);
    const dependsOn = typeof r.DependsOn === 'string' ? [r.DependsOn] : r.DependsOn;
    if (dependsOn !== undefined) {
      for (const d of Array.isArray(dependsOn) ? dependsOn : [dependsOn]) {
        if (typeof d !== 'string' || !(d in resources)) {
          problems.push(`${at}.DependsOn: unknown resource ${JSON.stringify(d)}`);
        } else {
          deps(w, name).add(d);
        }
      }
    }
    walk(w, r.Properties ?? null, `${at}.Properties`, name);
  }

  const outputs = isObj(template.Outputs) ? template.Outputs : {};
  for (const [name, o] of Object.entries(outputs)) {
    if (!isObj(o) || o.Value === undefined) problems.push(`Outputs.${name}: needs a Value`);
    else walk(w, o, `Outputs.${name}`, null);
  }
  for (const name of w.params) {
    if (!w.usedParams.has(name)) problems.push(`Parameters.${name}: never used`);
  }
  for (const name of w.conditions) {
    if (!w.usedConditions.has(name)) problems.push(`Conditions.${name}: never used`);
  }
  const cycle = findCycle(w.graph);
  if (cycle) problems.push(`Resources: circular dependency ${cycle.join(' → ')}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// IAM policy documents

interface Statement {
  at: string;
  effect: Json;
  actions: string[];
  resources: Json[];
  raw: Obj;
}

const asList = (v: Json | undefined): Json[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function statements(doc: Json | undefined, at: string): Statement[] {
  if (!isObj(doc)) return [];
  return asList(doc.Statement).map((s, i) => {
    const raw = isObj(s) ? s : {};
    return {
      at: `${at}.Statement[${i}]`,
      effect: raw.Effect ?? null,
      actions: asList(raw.Action).map(String),
      resources: asList(raw.Resource),
      raw,
    };
  });
}

function resourcesOfType(template: Obj, type: string): Array<[string, Obj]> {
  const resources = isObj(template.Resources) ? template.Resources : {};
  return Object.entries(resources).filter(
    (e): e is [string, Obj] => isObj(e[1]) && e[1].Type === type,
  ) as Array<[string, Obj]>;
}

const props = (r: Obj): Obj => (isObj(r.Properties) ? r.Properties : {});

/** Every IAM-style policy document of the template, with where it is. */
function policyDocuments(template: Obj): Array<[string, Json]> {
  const docs: Array<[string, Json]> = [];
  for (const [name, r] of resourcesOfType(template, 'AWS::IAM::Role')) {
    docs.push([`Resources.${name}.AssumeRolePolicyDocument`, props(r).AssumeRolePolicyDocument ?? null]);
    asList(props(r).Policies).forEach((p, i) => {
      if (isObj(p)) docs.push([`Resources.${name}.Policies[${i}]`, p.PolicyDocument ?? null]);
    });
  }
  for (const type of ['AWS::IAM::ManagedPolicy', 'AWS::SQS::QueuePolicy']) {
    for (const [name, r] of resourcesOfType(template, type)) {
      docs.push([`Resources.${name}.PolicyDocument`, props(r).PolicyDocument ?? null]);
    }
  }
  return docs;
}

/** The actions of the service's managed policies (every AWS::IAM::ManagedPolicy), sorted, unique. */
export function serviceActions(template: unknown): string[] {
  if (!isObj(template)) return [];
  const actions = new Set<string>();
  for (const [name, r] of resourcesOfType(template, 'AWS::IAM::ManagedPolicy')) {
    for (const s of statements(props(r).PolicyDocument, `Resources.${name}`)) {
      s.actions.forEach((a) => actions.add(a));
    }
  }
  return [...actions].sort();
}

const refersTo = (v: Json, name: string): boolean =>
  JSON.stringify(v).includes(`{"Ref":"${name}"}`) || JSON.stringify(v).includes(`\${${name}}`);
const getAttOf = (v: Json | undefined, resource: string, attribute: string): boolean =>
  isObj(v) && JSON.stringify(v['Fn::GetAtt']) === JSON.stringify([resource, attribute]);

// ---------------------------------------------------------------------------------------------------
// The Concierge stack

/** What deploy/cloudformation.yaml must wire up (README: Connecting Amazon Connect, Deploying). */
export function checkConciergeStack(template: unknown, expectedActions: readonly string[] = SERVICE_ACTIONS) {
  const problems: string[] = [];
  if (!isObj(template)) return ['the template is not a mapping'];
  const params = isObj(template.Parameters) ? template.Parameters : {};

  for (const [at, doc] of policyDocuments(template)) {
    if (!isObj(doc)) {
      problems.push(`${at}: missing policy document`);
      continue;
    }
    if (doc.Version !== '2012-10-17') problems.push(`${at}: Version must be "2012-10-17"`);
    for (const s of statements(doc, at)) {
      if (s.effect !== 'Allow') problems.push(`${s.at}: only Allow statements are expected`);
      if ('NotAction' in s.raw || 'NotResource' in s.raw) problems.push(`${s.at}: no NotAction/NotResource`);
      for (const a of s.actions) {
        if (a.includes('*')) problems.push(`${s.at}: wildcard action ${a}`);
      }
    }
  }

  // Connection: API key auth, header Authorization, value "Bearer <ingest key>" from a NoEcho parameter.
  const connections = resourcesOfType(template, 'AWS::Events::Connection');
  if (connections.length !== 1) problems.push('exactly one AWS::Events::Connection is expected');
  for (const [name, r] of connections) {
    const p = props(r);
    const apiKey = isObj(p.AuthParameters) ? p.AuthParameters.ApiKeyAuthParameters : undefined;
    if (p.AuthorizationType !== 'API_KEY' || !isObj(apiKey)) {
      problems.push(`Resources.${name}: AuthorizationType API_KEY with ApiKeyAuthParameters is required`);
    } else {
      if (apiKey.ApiKeyName !== 'Authorization') {
        problems.push(`Resources.${name}: ApiKeyName must be Authorization`);
      }
      const value = isObj(apiKey.ApiKeyValue) ? apiKey.ApiKeyValue['Fn::Sub'] : undefined;
      const m = typeof value === 'string' ? /^Bearer \$\{(\w+)\}$/.exec(value) : null;
      const param = m?.[1] ? params[m[1]] : undefined;
      if (!isObj(param) || param.NoEcho !== true) {
        problems.push(`Resources.${name}: ApiKeyValue must be !Sub 'Bearer \${<NoEcho parameter>}'`);
      }
    }
  }

  // API destination: POST <url>/v1/connect/events through that connection, rate limited.
  const destinations = resourcesOfType(template, 'AWS::Events::ApiDestination');
  if (destinations.length !== 1) problems.push('exactly one AWS::Events::ApiDestination is expected');
  for (const [name, r] of destinations) {
    const p = props(r);
    if (p.HttpMethod !== 'POST') problems.push(`Resources.${name}: HttpMethod must be POST`);
    const endpoint = isObj(p.InvocationEndpoint) ? p.InvocationEndpoint['Fn::Sub'] : p.InvocationEndpoint;
    if (typeof endpoint !== 'string' || !endpoint.endsWith('/v1/connect/events')) {
      problems.push(`Resources.${name}: InvocationEndpoint must end with /v1/connect/events`);
    }
    if (p.InvocationRateLimitPerSecond === undefined) {
      problems.push(`Resources.${name}: set InvocationRateLimitPerSecond`);
    }
    if (!connections.some(([c]) => getAttOf(p.ConnectionArn, c, 'Arn'))) {
      problems.push(`Resources.${name}: ConnectionArn must be !GetAtt <Connection>.Arn`);
    }
  }

  // Rule: Connect contact events → the API destination, with a role, retries and a dead-letter queue.
  const rules = resourcesOfType(template, 'AWS::Events::Rule');
  if (rules.length !== 1) problems.push('exactly one AWS::Events::Rule is expected');
  const queues = resourcesOfType(template, 'AWS::SQS::Queue').map(([n]) => n);
  const roles = resourcesOfType(template, 'AWS::IAM::Role');
  for (const [name, r] of rules) {
    const p = props(r);
    const pattern = isObj(p.EventPattern) ? p.EventPattern : {};
    if (JSON.stringify(pattern.source) !== '["aws.connect"]') {
      problems.push(`Resources.${name}: EventPattern.source must be [aws.connect]`);
    }
    if (JSON.stringify(pattern['detail-type']) !== '["Amazon Connect Contact Event"]') {
      problems.push(`Resources.${name}: EventPattern.detail-type must be [Amazon Connect Contact Event]`);
    }
    const targets = asList(p.Targets).filter(isObj);
    const target = targets.find((t) => destinations.some(([d]) => getAttOf(t.Arn, d, 'Arn')));
    if (!target) {
      problems.push(`Resources.${name}: no target is the API destination (!GetAtt <ApiDestination>.Arn)`);
      continue;
    }
    const role = roles.find(([n]) => getAttOf(target.RoleArn, n, 'Arn'));
    if (!role) {
      problems.push(`Resources.${name}: the target needs RoleArn: !GetAtt <Role>.Arn`);
    } else {
      const [roleName, roleRes] = role;
      const trust = statements(props(roleRes).AssumeRolePolicyDocument, `Resources.${roleName}`);
      if (!trust.some((s) => JSON.stringify(s.raw.Principal ?? null).includes('events.amazonaws.com'))) {
        problems.push(`Resources.${roleName}: must trust events.amazonaws.com`);
      }
      const inline = asList(props(roleRes).Policies).flatMap((pol, i) =>
        isObj(pol) ? statements(pol.PolicyDocument, `Resources.${roleName}.Policies[${i}]`) : [],
      );
      const actions = [...new Set(inline.flatMap((s) => s.actions))];
      if (JSON.stringify(actions) !== '["events:InvokeApiDestination"]') {
        problems.push(`Resources.${roleName}: its policies must allow exactly events:InvokeApiDestination`);
      }
      for (const s of inline) {
        if (!s.resources.some((res) => destinations.some(([d]) => getAttOf(res, d, 'Arn')))) {
          problems.push(`${s.at}: Resource must be the API destination's Arn`);
        }
      }
    }
    const dlq = isObj(target.DeadLetterConfig) ? target.DeadLetterConfig.Arn : undefined;
    const dlqName = queues.find((q) => getAttOf(dlq, q, 'Arn'));
    if (!dlqName) {
      problems.push(`Resources.${name}: the target needs DeadLetterConfig.Arn: !GetAtt <Queue>.Arn`);
    } else {
      const granted = resourcesOfType(template, 'AWS::SQS::QueuePolicy').some(
        ([qpName, qp]) =>
          asList(props(qp).Queues).some((q) => refersTo(q, dlqName)) &&
          statements(props(qp).PolicyDocument, qpName).some(
            (s) =>
              s.actions.includes('sqs:SendMessage') &&
              JSON.stringify(s.raw.Principal ?? null).includes('events.amazonaws.com'),
          ),
      );
      if (!granted) {
        problems.push(
          `Resources.${dlqName}: needs a QueuePolicy letting events.amazonaws.com sqs:SendMessage`,
        );
      }
    }
    const retry = isObj(target.RetryPolicy) ? target.RetryPolicy : {};
    if (retry.MaximumRetryAttempts === undefined || retry.MaximumEventAgeInSeconds === undefined) {
      problems.push(`Resources.${name}: the target needs a RetryPolicy (attempts and event age)`);
    }
  }

  // The service's own permissions: exactly the expected actions, Connect scoped to the instance.
  const policies = resourcesOfType(template, 'AWS::IAM::ManagedPolicy');
  if (policies.length !== 1)
    problems.push('exactly one AWS::IAM::ManagedPolicy (the service policy) is expected');
  const actual = serviceActions(template);
  const expected = [...expectedActions].sort();
  const missing = expected.filter((a) => !actual.includes(a));
  const extra = actual.filter((a) => !expected.includes(a));
  if (missing.length) problems.push(`service policy: missing actions ${missing.join(', ')}`);
  if (extra.length) problems.push(`service policy: unexpected actions ${extra.join(', ')}`);
  const instanceParam = Object.keys(params).find((n) => /ConnectInstanceArn/.test(n));
  for (const [name, r] of policies) {
    for (const s of statements(props(r).PolicyDocument, `Resources.${name}`)) {
      if (s.resources.length === 0) problems.push(`${s.at}: needs a Resource`);
      if (s.resources.includes('*') && s.actions.some((a) => !NO_RESOURCE_LEVEL.has(a))) {
        problems.push(`${s.at}: Resource "*" only for actions without resource-level permissions`);
      }
      if (s.actions.some((a) => a.startsWith('connect:'))) {
        if (!instanceParam || !s.resources.every((res) => refersTo(res, instanceParam))) {
          problems.push(`${s.at}: Connect actions must be scoped to the ConnectInstanceArn parameter`);
        }
      }
    }
  }
  return problems;
}
