import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { lintPackage, pngSize } from '../../scripts/app-lint';

const ROOT = path.resolve(__dirname, '../..');

/** The package as `npm run package` lays it out, with tiny stand-ins for the built pages. */
function realisticPackage(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  files.set('manifest.json', readFileSync(path.join(ROOT, 'manifest.json')));
  for (const f of readdirSync(path.join(ROOT, 'translations')))
    files.set(`translations/${f}`, readFileSync(path.join(ROOT, 'translations', f)));
  for (const f of readdirSync(path.join(ROOT, 'app/public')))
    files.set(`assets/${f}`, readFileSync(path.join(ROOT, 'app/public', f)));
  // One page per location the manifest declares, as the build writes them.
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'manifest.json'), 'utf8')) as {
    location: { support: Record<string, { url: string }> };
  };
  for (const { url } of Object.values(manifest.location.support)) {
    const page = path.basename(url, '.html');
    files.set(url, Buffer.from(`<!doctype html><script type="module" src="./${page}.js"></script>`));
  }
  files.set(
    'assets/nav_bar.html',
    Buffer.from('<!doctype html><script type="module" src="./nav_bar.js"></script>'),
  );
  files.set(
    'assets/top_bar.js',
    Buffer.from(
      "const o={headers:{Authorization:'Bearer {{jwt.token}}'},jwt:{secret_key:'{{setting.shared_secret}}'}};",
    ),
  );
  return files;
}

interface ManifestJson {
  parameters: Record<string, unknown>[];
  location: { support: Record<string, unknown> };
  domainWhitelist: string[];
  frameworkVersion: string;
}

function withManifest(edit: (m: ManifestJson) => void): Map<string, Buffer> {
  const files = realisticPackage();
  const m = JSON.parse(files.get('manifest.json')!.toString()) as ManifestJson;
  edit(m);
  files.set('manifest.json', Buffer.from(JSON.stringify(m)));
  return files;
}

const messages = (files: Map<string, Buffer>) =>
  lintPackage(files).errors.map((e) => `${e.file}: ${e.message}`);

describe('offline app package check', () => {
  it('when the package is ours, then there are no errors (the unscoped secure setting is a warning)', () => {
    const { errors, warnings } = lintPackage(realisticPackage());
    expect(errors).toEqual([]);
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringContaining('secure parameter without scopes'),
    ]);
  });

  it('when the logos exist, then they have the Marketplace sizes', () => {
    expect(pngSize(readFileSync(path.join(ROOT, 'app/public/logo.png')))).toEqual({
      width: 320,
      height: 320,
    });
    expect(pngSize(readFileSync(path.join(ROOT, 'app/public/logo-small.png')))).toEqual({
      width: 128,
      height: 128,
    });
  });

  it('when a secure parameter has a default, then it is an error', () => {
    const files = withManifest((m) => (m.parameters.find((p) => p.name === 'shared_secret')!.default = 'x'));
    expect(messages(files)).toEqual([expect.stringContaining('must not have a default')]);
  });

  it('when a parameter named like a credential is not secure, then it is an error', () => {
    const files = withManifest((m) => m.parameters.push({ name: 'api_token', type: 'text' }));
    const errs = messages(files);
    expect(errs).toContainEqual(expect.stringContaining('named like a credential'));
  });

  it('when an oauth parameter is secure, then it is an error', () => {
    const files = withManifest((m) => m.parameters.push({ name: 'login', type: 'oauth', secure: true }));
    expect(messages(files)).toContainEqual(expect.stringContaining('oauth parameters cannot be secure'));
  });

  it('when a location URL is not in the package, then it is an error', () => {
    const files = realisticPackage();
    files.delete('assets/ticket_sidebar.html');
    expect(messages(files)).toEqual([
      'manifest.json: ticket_sidebar: assets/ticket_sidebar.html is not in the package',
    ]);
  });

  it('when a location is unknown or the framework version is old, then it is an error', () => {
    const files = withManifest((m) => {
      m.location.support.side_panel = { url: 'assets/top_bar.html' };
      m.frameworkVersion = '1.0';
    });
    expect(messages(files)).toEqual([
      expect.stringContaining('frameworkVersion must be "2.0"'),
      expect.stringContaining('side_panel is an invalid location'),
    ]);
  });

  it('when domainWhitelist holds a URL instead of a domain, then it is an error', () => {
    const files = withManifest((m) => m.domainWhitelist.push('https://evil.example.com/path'));
    expect(messages(files)).toEqual([expect.stringContaining('must be a bare domain')]);
  });

  it('when en.json lacks listing keys or a translation is not JSON, then it is an error', () => {
    const files = realisticPackage();
    files.set('translations/en.json', Buffer.from(JSON.stringify({ app: { name: 'X', parameters: {} } })));
    files.set('translations/de.json', Buffer.from('{ nope'));
    files.set('translations/english.json', Buffer.from('{}'));
    const errs = messages(files);
    expect(errs).toContainEqual(
      expect.stringContaining(
        'missing required key: app.short_description, app.long_description, app.installation_instructions',
      ),
    );
    expect(errs).toContainEqual(expect.stringContaining('translations/de.json: not valid JSON'));
    expect(errs).toContainEqual(
      expect.stringContaining('translations/english.json: not a valid locale file name'),
    );
    expect(errs).toContainEqual(expect.stringContaining('app.parameters.shared_secret.label is missing'));
  });

  it('when an asset holds a secret-looking value, then it is an error; Zendesk placeholders are not', () => {
    const files = realisticPackage();
    files.set(
      'assets/chunk.js',
      Buffer.from('const cfg={appSecret:"hR9xQ2mZk1Lp0Vb7Ty4Wc8Nd"};const k="AKIAIOSFODNN7EXAMPLE";'),
    );
    const errs = messages(files);
    expect(errs).toEqual([
      'assets/chunk.js: contains what looks like a AWS access key id',
      'assets/chunk.js: literal value assigned to appSecret',
    ]);
  });

  it('when code calls a private or loopback IP, then it is an error; plain http is a warning', () => {
    const files = realisticPackage();
    files.set(
      'assets/x.js',
      Buffer.from(
        'fetch("http://10.1.2.3/api");fetch("http://127.0.0.1:3000");fetch("http://api.example.com")',
      ),
    );
    const { errors, warnings } = lintPackage(files);
    expect(errors.map((e) => e.message)).toEqual([
      'possible request to a private IP 10.1.2.3 (Zendesk refuses the package)',
      'possible request to a loopback IP 127.0.0.1 (Zendesk refuses the package)',
    ]);
    expect(warnings.map((w) => w.message)).toContainEqual(expect.stringContaining('plain http:// URL'));
  });

  it('when files outside the app layout, archives or symlinks are in the zip, then they are errors', () => {
    const files = realisticPackage();
    files.set('README.md', Buffer.from('# hi'));
    files.set('assets/bundle.zip', Buffer.from('PK'));
    files.set('assets/.DS_Store', Buffer.from(''));
    const errs = lintPackage(files, { symlinks: ['assets/link.js'] }).errors.map((e) => e.file);
    expect(errs).toEqual(['assets/link.js', 'README.md', 'assets/bundle.zip', 'assets/.DS_Store']);
  });

  it('when a logo has the wrong size or an icon scripts, then it is an error', () => {
    const files = realisticPackage();
    files.set('assets/logo.png', readFileSync(path.join(ROOT, 'app/public/logo-small.png')));
    files.set('assets/icon_top_bar.svg', Buffer.from('<svg onload="alert(1)"><script>x</script></svg>'));
    expect(messages(files)).toEqual([
      'assets/logo.png: must be 320×320, is 128×128',
      'assets/icon_top_bar.svg: SVG contains script or event handlers',
    ]);
  });
});
