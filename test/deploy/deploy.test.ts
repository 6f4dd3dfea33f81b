/**
 * deploy/ is validated offline (no Docker engine or AWS here): the committed files pass, and a broken
 * copy of each fails with the problem named. cfn-lint runs when installed (it is in the node-svc image).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FILES, runCfnLint, validateDeploy } from '../../scripts/deploy-check';
import {
  checkConciergeStack,
  checkTemplate,
  RESOURCE_SPECS,
  SERVICE_ACTIONS,
  serviceActions,
} from '../../scripts/deploy-check/cloudformation';
import { checkDockerfile, dockerignore } from '../../scripts/deploy-check/dockerfile';
import {
  awsCalls,
  checkAwsCalls,
  checkImageInputs,
  reachable,
  specifiers,
} from '../../scripts/deploy-check/sources';
import { parseCloudFormation } from '../../scripts/deploy-check/yaml';

const root = path.resolve(__dirname, '../..');
const deployDir = path.join(root, 'deploy');
const read = (file: string) => fs.readFileSync(path.join(deployDir, file), 'utf8');
const template = () => parseCloudFormation(read(FILES.cloudformation)).value;

/** The AWS actions the service calls. Changing the service's AWS calls means changing this list. */
const EXPECTED_ACTIONS = [
  'aws-marketplace:BatchMeterUsage',
  'bedrock:InvokeModel',
  'bedrock:InvokeModelWithResponseStream',
  'connect:DescribeContact',
  'connect:DescribeUser',
  'connect:ListRealtimeContactAnalysisSegments',
  'connect:ListRealtimeContactAnalysisSegmentsV2',
  'connect:SearchContacts',
];

const tmpDirs: string[] = [];
afterAll(() => tmpDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** A copy of deploy/ (as <tmp>/deploy, so compose's `context: ..` still holds) with one file edited. */
function mutatedCopy(file: string, edit: (text: string) => string): string {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'concierge-deploy-'));
  tmpDirs.push(base);
  const dir = path.join(base, 'deploy');
  fs.cpSync(deployDir, dir, { recursive: true });
  const before = read(file);
  const after = edit(before);
  if (after === before) throw new Error(`the edit of ${file} changed nothing`);
  fs.writeFileSync(path.join(dir, file), after);
  return dir;
}

const problemsOf = (file: string, edit: (text: string) => string) =>
  validateDeploy({ root, deployDir: mutatedCopy(file, edit), cfnLint: false }).problems;

const cfnLintInstalled = spawnSync('cfn-lint', ['--version']).error === undefined;
const itWithCfnLint = cfnLintInstalled ? it : it.skip;

describe('deploy/ as committed', () => {
  it('passes every offline check: Dockerfile, .dockerignore, compose, .env.example, CloudFormation', () => {
    const result = validateDeploy({ root, cfnLint: false });
    expect(result.problems).toEqual([]);
    expect(result.ran).toEqual(
      expect.arrayContaining(['dockerfile', 'dockerignore', 'image inputs', 'compose', 'cloudformation']),
    );
  });

  it('the service policy allows exactly the AWS actions the service calls, and no more', () => {
    expect(serviceActions(template())).toEqual(EXPECTED_ACTIONS);
    expect([...SERVICE_ACTIONS].sort()).toEqual(EXPECTED_ACTIONS);
    // Converse and ConverseStream are authorized as InvokeModel / InvokeModelWithResponseStream.
    expect(serviceActions(template())).not.toContain('bedrock:Converse');
  });

  it('every AWS SDK command under server/ and workers/ maps to an action of that policy', () => {
    const calls = awsCalls(root);
    expect(calls.map((c) => c.command)).toEqual(
      expect.arrayContaining(['DescribeContact', 'DescribeUser', 'SearchContacts']),
    );
    expect(checkAwsCalls(calls, serviceActions(template()))).toEqual([]);
  });

  itWithCfnLint(
    'cfn-lint finds no error or warning in the template',
    () => {
      const lint = runCfnLint(path.join(deployDir, FILES.cloudformation));
      expect(lint.available).toBe(true);
      expect(lint.problems).toEqual([]);
    },
    180_000,
  );

  itWithCfnLint(
    "the resource table of the checker matches cfn-lint's CloudFormation schemas",
    () => {
      const script = [
        'import json, sys',
        'from cfnlint.schema import PROVIDER_SCHEMA_MANAGER as M',
        'out = {}',
        'for t in json.loads(sys.argv[1]):',
        '    s = M.get_resource_schema("us-east-1", t).schema',
        '    top = [p.split("/")[-1] for p in s.get("readOnlyProperties", []) if p.count("/") == 2]',
        '    ro = sorted(set(top))',
        '    props = sorted(k for k in s["properties"] if k not in ro)',
        '    out[t] = {"required": sorted(s.get("required", [])), "properties": props, "attributes": ro}',
        'print(json.dumps(out))',
      ].join('\n');
      const py = spawnSync('python3', ['-c', script, JSON.stringify(Object.keys(RESOURCE_SPECS))], {
        encoding: 'utf8',
      });
      expect(py.stderr).toBe('');
      const schemas = JSON.parse(py.stdout) as Record<string, unknown>;
      const ours = Object.fromEntries(
        Object.entries(RESOURCE_SPECS).map(([t, s]) => [
          t,
          {
            required: [...s.required].sort(),
            properties: [...s.properties].sort(),
            attributes: [...s.attributes].sort(),
          },
        ]),
      );
      expect(ours).toEqual(schemas);
    },
    180_000,
  );
});

describe('a broken Dockerfile is refused', () => {
  it.each<[string, (t: string) => string, RegExp]>([
    ['running as root', (t) => t.replace('USER 1000:1000', 'USER root'), /USER root is root/],
    ['no USER', (t) => t.replace(/^USER .*$/m, ''), /no USER/],
    ['no HEALTHCHECK', (t) => t.replace(/^HEALTHCHECK[\s\S]*?\]\n/m, ''), /no HEALTHCHECK/],
    [
      'a HEALTHCHECK that is not valid JSON',
      (t) => t.replace('CMD ["node", "-e", "require', 'CMD ["node", "-e", require'),
      /HEALTHCHECK CMD is not valid JSON/,
    ],
    [
      'a latest base image',
      (t) => t.replace('ARG NODE_IMAGE=node:22-bookworm-slim', 'ARG NODE_IMAGE=node:latest'),
      /latest tag/,
    ],
    [
      'an untagged base image',
      (t) => t.replace('ARG NODE_IMAGE=node:22-bookworm-slim', 'ARG NODE_IMAGE=node'),
      /no tag/,
    ],
    [
      'a secret in ENV',
      (t) => t.replace('ENV NODE_ENV=production', 'ENV CONCIERGE_ENCRYPTION_KEY=abc NODE_ENV=production'),
      /secrets never go into the image/,
    ],
    [
      'no NODE_ENV',
      (t) => t.replace('NODE_ENV=production \\', 'NODE_ENV=development \\'),
      /NODE_ENV=production missing/,
    ],
    [
      'a shell-form CMD',
      (t) => t.replace('CMD ["node", "bin/concierge", "serve"]', 'CMD node bin/concierge serve'),
      /exec form/,
    ],
    [
      'the whole context in the runtime stage',
      (t) => t.replace('COPY bin ./bin', 'COPY . .'),
      /copies the whole context/,
    ],
    ['dev dependencies in the image', (t) => t.replace('npm ci --omit=dev', 'npm ci'), /--omit=dev/],
    [
      'npm install instead of npm ci',
      (t) => t.replace('npm ci --ignore-scripts', 'npm install --ignore-scripts'),
      /use npm ci/,
    ],
    [
      'a single stage',
      (t) => t.replace(/^FROM [\s\S]*?(?=^FROM \$\{NODE_IMAGE\} AS runtime)/m, ''),
      /multi-stage/,
    ],
    [
      'a folder the .dockerignore leaves out',
      (t) => t.replace('COPY bin ./bin', 'COPY bin ./bin\nCOPY test ./test'),
      /test is excluded by the \.dockerignore/,
    ],
    [
      'a service folder left out of the image',
      (t) => t.replace('COPY workers ./workers\n', ''),
      /workers\/.* is loaded by bin\/concierge but not copied/,
    ],
    [
      'a COPY from a stage that does not exist',
      (t) => t.replace('--from=prod-deps', '--from=prod'),
      /no earlier stage/,
    ],
  ])('%s', (_name, edit, expected) => {
    expect(problemsOf(FILES.dockerfile, edit).join('\n')).toMatch(expected);
  });

  it('a .dockerignore that lets secrets and node_modules into the context', () => {
    const problems = problemsOf(FILES.dockerignore, (t) => t.replace(/^\*$/m, '').replace('**/.env\n', ''));
    expect(problems.join('\n')).toMatch(/lets \.env into the build context/);
    expect(problems.join('\n')).toMatch(/lets node_modules\/x\/index\.js into/);
  });

  it('the .dockerignore matcher follows Docker: last match wins, folders cover their contents', () => {
    const included = dockerignore('*\n!server/\n**/*.test.ts\n!server/keep.test.ts\n');
    expect(included('server/a/b.ts')).toBe(true);
    expect(included('server/a/b.test.ts')).toBe(false);
    expect(included('server/keep.test.ts')).toBe(true);
    expect(included('test/x.ts')).toBe(false);
  });

  it('a Dockerfile that is not multi-stage fails on its own', () => {
    expect(checkDockerfile('FROM node:22\nCMD ["node", "bin/concierge", "serve"]\n').join('\n')).toMatch(
      /multi-stage[\s\S]*no USER[\s\S]*no HEALTHCHECK/,
    );
  });
});

describe('a broken docker-compose.yml or .env.example is refused', () => {
  it.each<[string, (t: string) => string, RegExp]>([
    [
      'a privileged service',
      (t) =>
        t.replace(
          "command: ['node', 'bin/concierge', 'work']",
          "command: ['node', 'bin/concierge', 'work']\n    privileged: true",
        ),
      /services\.worker: privileged/,
    ],
    [
      'an unknown key (typo)',
      (t) =>
        t.replace(
          '    restart: unless-stopped\n    environment:',
          '    restart: unless-stopped\n    enviroment:',
        ),
      /unknown key enviroment/,
    ],
    [
      'a dependency on a service that does not exist',
      (t) =>
        t.replace(
          '      postgres:\n        condition: service_healthy\n\n  api:',
          '      postgress:\n        condition: service_healthy\n\n  api:',
        ),
      /unknown service postgress/,
    ],
    [
      'service_healthy on a service without healthcheck',
      (t) =>
        t.replace(
          '      migrate:\n        condition: service_completed_successfully\n      postgres:\n        condition: service_healthy\n      redis:\n        condition: service_healthy\n\n  worker:',
          '      migrate:\n        condition: service_completed_successfully\n      postgres:\n        condition: service_healthy\n      redis:\n        condition: service_healthy\n      worker:\n        condition: service_healthy\n\n  worker:',
        ),
      /service_healthy, but worker has no healthcheck/,
    ],
    ['a migrate that restarts', (t) => t.replace("restart: 'no'", 'restart: on-failure'), /needs a one-shot/],
    [
      'redis that may evict queue keys',
      (t) => t.replace("'--maxmemory-policy', 'noeviction'", "'--maxmemory-policy', 'allkeys-lru'"),
      /noeviction/,
    ],
    [
      'redis without AOF',
      (t) => t.replace("'--appendonly', 'yes'", "'--appendonly', 'no'"),
      /--appendonly yes/,
    ],
    [
      'an undeclared volume',
      (t) => t.replace('      - redis-data:/data', '      - redis-cache:/data'),
      /volume redis-cache is not declared[\s\S]*redis-data: declared but never used/,
    ],
    [
      'a latest image',
      (t) => t.replace('image: postgres:16', 'image: postgres:latest'),
      /latest tag[\s\S]*postgres:16/,
    ],
    [
      'a healthcheck duration without unit',
      (t) =>
        t.replace(
          '      interval: 5s\n      timeout: 5s\n      retries: 12\n      start_period',
          '      interval: 5\n      timeout: 5s\n      retries: 12\n      start_period',
        ),
      /interval: 5 is not a duration/,
    ],
    [
      'a published database port',
      (t) => t.replace('    image: postgres:16\n', "    image: postgres:16\n    ports: ['5432:5432']\n"),
      /postgres: publishes ports/,
    ],
    [
      'the API without its migrate dependency',
      (t) =>
        t.replace(
          / {2}api:\n([\s\S]*?)depends_on:\n {6}migrate:\n {8}condition: service_completed_successfully\n/,
          '  api:\n$1depends_on:\n',
        ),
      /api: depends_on migrate service_completed_successfully/,
    ],
    [
      'a duplicated key',
      (t) =>
        t.replace('  redis:\n    image: redis:7\n', '  redis:\n    image: redis:7\n    image: redis:7\n'),
      /unique/,
    ],
  ])('%s', (_name, edit, expected) => {
    expect(problemsOf(FILES.compose, edit).join('\n')).toMatch(expected);
  });

  it('an .env.example missing a configuration variable, or with a secret filled in', () => {
    const problems = problemsOf(FILES.envExample, (t) =>
      t
        .replace(/^LOG_LEVEL=.*\n/m, '')
        .replace(/^CONCIERGE_ENCRYPTION_KEY=$/m, 'CONCIERGE_ENCRYPTION_KEY=abc'),
    );
    expect(problems.join('\n')).toMatch(/LOG_LEVEL \(server\/config\.ts\) is not listed/);
    expect(problems.join('\n')).toMatch(/CONCIERGE_ENCRYPTION_KEY has a value/);
  });
});

describe('a broken CloudFormation template is refused', () => {
  it.each<[string, (t: string) => string, RegExp]>([
    [
      'a Ref to nothing',
      (t) => t.replace('Queues: [!Ref DeadLetterQueue]', 'Queues: [!Ref DeadLetterQ]'),
      /Ref to DeadLetterQ, which is no parameter/,
    ],
    [
      'a GetAtt of an attribute that does not exist',
      (t) => t.replace('!GetAtt Connection.SecretArn', '!GetAtt Connection.Secret'),
      /has no attribute Secret/,
    ],
    [
      'a GetAtt of a resource that does not exist',
      (t) => t.replace('RoleArn: !GetAtt InvokeApiDestinationRole.Arn', 'RoleArn: !GetAtt InvokeRole.Arn'),
      /GetAtt of unknown resource InvokeRole/,
    ],
    [
      'a Sub placeholder that does not exist',
      (t) => t.replace("!Sub '${ServiceUrl}/v1/connect/events'", "!Sub '${ServiceURL}/v1/connect/events'"),
      /Ref to ServiceURL/,
    ],
    [
      'a missing required property',
      (t) => t.replace('      HttpMethod: POST\n', ''),
      /requires property HttpMethod/,
    ],
    [
      'a property the type does not have',
      (t) => t.replace('      SqsManagedSseEnabled: true', '      SqsManagedSSEEnabled: true'),
      /has no property SqsManagedSSEEnabled/,
    ],
    [
      'an unknown resource type',
      (t) => t.replace('Type: AWS::SQS::Queue', 'Type: AWS::SQS::Queues'),
      /unsupported Type "AWS::SQS::Queues"/,
    ],
    [
      'an unknown condition',
      (t) => t.replace('!If [AttachToServiceRole,', '!If [AttachServiceRole,'),
      /unknown condition "AttachServiceRole"/,
    ],
    [
      'an unused parameter',
      (t) => t.replace('Parameters:\n', 'Parameters:\n  Unused:\n    Type: String\n'),
      /Parameters\.Unused: never used/,
    ],
    ['an ingest key that is echoed', (t) => t.replace('    NoEcho: true\n', ''), /must be NoEcho/],
    [
      'a short-form tag CloudFormation does not know',
      (t) => t.replace('Value: !GetAtt ApiDestination.Arn', 'Value: !GetAt ApiDestination.Arn'),
      /Unresolved tag: !GetAt/,
    ],
    [
      'a dependency cycle',
      (t) =>
        t.replace(
          '      MessageRetentionPeriod: 1209600',
          "      MessageRetentionPeriod: 1209600\n      QueueName: !Sub '${ContactEventsRule}-dlq'",
        ),
      /circular dependency/,
    ],
    [
      'an extra action in the service policy',
      (t) =>
        t.replace(
          '              - bedrock:InvokeModelWithResponseStream\n',
          '              - bedrock:InvokeModelWithResponseStream\n              - bedrock:Converse\n',
        ),
      /unexpected actions bedrock:Converse/,
    ],
    [
      'a missing action',
      (t) =>
        t.replace(
          '            Action: connect:DescribeUser\n',
          '            Action: connect:DescribeContact\n',
        ),
      /missing actions connect:DescribeUser/,
    ],
    [
      'a wildcard action',
      (t) => t.replace('Action: aws-marketplace:BatchMeterUsage', 'Action: aws-marketplace:*'),
      /wildcard action aws-marketplace:\*/,
    ],
    [
      'Connect actions on every resource',
      (t) => t.replace("Resource: !Sub '${ConnectInstanceArn}/agent/*'", "Resource: '*'"),
      /Resource "\*" only for actions without resource-level/,
    ],
    [
      'an ingest key without the Bearer prefix',
      (t) => t.replace("ApiKeyValue: !Sub 'Bearer ${IngestKey}'", 'ApiKeyValue: !Ref IngestKey'),
      /ApiKeyValue must be !Sub 'Bearer/,
    ],
    [
      'another endpoint',
      (t) => t.replace("'${ServiceUrl}/v1/connect/events'", "'${ServiceUrl}/v1/events'"),
      /must end with \/v1\/connect\/events/,
    ],
    [
      'events of another source',
      (t) => t.replace('source: [aws.connect]', 'source: [aws.events]'),
      /EventPattern\.source/,
    ],
    [
      'no dead-letter queue',
      (t) => t.replace(/ {10}DeadLetterConfig:\n {12}Arn: !GetAtt DeadLetterQueue.Arn\n/, ''),
      /DeadLetterConfig/,
    ],
    ['no retry policy', (t) => t.replace(/ {10}RetryPolicy:\n.*\n.*\n/, ''), /RetryPolicy/],
  ])('%s', (_name, edit, expected) => {
    expect(problemsOf(FILES.cloudformation, edit).join('\n')).toMatch(expected);
  });

  it('the checks work on the parsed template directly', () => {
    expect(checkTemplate(template())).toEqual([]);
    expect(checkConciergeStack(template())).toEqual([]);
    expect(checkTemplate({ Resources: {} })).toContain('Resources: at least one resource is required');
  });

  itWithCfnLint(
    'cfn-lint refuses a broken copy too',
    () => {
      const dir = mutatedCopy(FILES.cloudformation, (t) =>
        t
          .replace('      HttpMethod: POST\n', '')
          .replace('- bedrock:InvokeModelWithResponseStream\n', '- bedrock:Converse\n'),
      );
      const lint = runCfnLint(path.join(dir, FILES.cloudformation));
      expect(lint.problems.join('\n')).toMatch(/E3003.*HttpMethod/);
      // cfn-lint knows the IAM actions: Converse is none (it is authorized as bedrock:InvokeModel).
      expect(lint.problems.join('\n')).toMatch(/W3037.*converse/i);
    },
    180_000,
  );
});

describe('the service sources and the deploy files agree', () => {
  it('an AWS command the policy does not allow, or one with no known IAM action, is reported', () => {
    const policy = ['connect:DescribeContact'];
    const problems = checkAwsCalls(
      [
        {
          file: 'server/a.ts',
          client: 'client-connect',
          command: 'DescribeContact',
          action: 'connect:DescribeContact',
        },
        {
          file: 'server/a.ts',
          client: 'client-connect',
          command: 'SearchContacts',
          action: 'connect:SearchContacts',
        },
        { file: 'server/b.ts', client: 'client-s3', command: 'GetObject', action: undefined },
      ],
      policy,
    );
    expect(problems).toEqual([
      expect.stringMatching(/SearchContacts \(connect:SearchContacts\), which .* does not allow/),
      expect.stringMatching(/GetObjectCommand has no IAM action/),
    ]);
  });

  it('type-only imports are not runtime dependencies of the image', () => {
    const specs = specifiers(
      [
        "import type { Logger } from 'pino';",
        "import { type A, type B } from 'nock';",
        "import { z, type ZodType } from 'zod';",
        "export { x } from './x';",
        "const s = require('./service') as typeof import('./service');",
        "// import x from 'commented-out';",
      ].join('\n'),
    );
    expect(specs.sort()).toEqual(['./service', './x', 'zod']);
  });

  it('a file bin/concierge loads from outside the copied folders, or a dev dependency, is reported', () => {
    const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'concierge-image-'));
    tmpDirs.push(tree);
    fs.mkdirSync(path.join(tree, 'bin'));
    fs.mkdirSync(path.join(tree, 'server'));
    fs.mkdirSync(path.join(tree, 'test'));
    fs.writeFileSync(path.join(tree, 'bin', 'concierge'), "require('../server/main.ts');\n");
    fs.writeFileSync(
      path.join(tree, 'server', 'main.ts'),
      "import { double } from '../test/double';\nimport 'zod';\n",
    );
    fs.writeFileSync(
      path.join(tree, 'test', 'double.ts'),
      "import nock from 'nock';\nexport const double = nock;\n",
    );
    const inputs = reachable(tree, ['bin/concierge']);
    const copied = (f: string) => /^(bin|server)\//.test(f);
    expect(checkImageInputs(inputs, copied, { zod: '^4' })).toEqual([
      'test/double.ts is loaded by bin/concierge but not copied into the image (deploy/Dockerfile)',
      expect.stringMatching(/test\/double\.ts loads nock, which is not in package\.json "dependencies"/),
    ]);
  });
});
