/**
 * images/build.ts: assembles the project's container images locally, with no registry.
 *
 *   npx ts-node --transpile-only images/build.ts [--kafka 3.9.1,4.4.0] [--zookeeper 3.9.3]
 *                                                [--list] [--force]
 *
 * Builds every image missing from the cache and prints one line per image to stdout:
 * "<image ref>\t<docker-archive path>" (importable with `ctr -n k8s.io images import`).
 * Progress, with timings, goes to stderr. `ensureImages()` does the same for other tools.
 *
 * Images (see images/CONTRACT.md for what each reproduces):
 *   kafka-platform.local/kafka:<version>      Debian+JRE base layer + /opt/kafka layer
 *   kafka-platform.local/zookeeper:<version>  the same base layer + ZooKeeper layer
 *   kafka-platform.local/pause:1.0            one static Go binary
 *
 * Cache, under ${KAFKA_PLATFORM_CACHE:-~/.cache/kafka-platform}/images/:
 *   rootfs/debian-bookworm-<key>.tar (+ .json)  mmdebstrap output, keyed by the package
 *                                               list and mmdebstrap settings
 *   jars/<name>-<version>-<key>/                resolved jars, keyed by version and pom
 *   archives/<name>-<version>-<hash>.tar        docker-archive, keyed by version and a hash
 *                                               of images/<name>/**, this file, and the
 *                                               keys above
 *   logs/                                       output of mmdebstrap, mvn and go
 * Every cache entry is written under a temporary name and renamed into place.
 *
 * Tools used: mmdebstrap (root), mvn, go, tar (GNU). Node's standard library and commander.
 */
import { spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Command } from 'commander';

// ---------------------------------------------------------------------------------------
// Settings

const IMAGES_DIR = __dirname;
const REGISTRY = 'kafka-platform.local';
const DEFAULT_KAFKA = ['3.9.1', '4.4.0'];
const DEFAULT_ZOOKEEPER = ['3.9.3'];
const PAUSE_VERSION = '1.0';

/** mtime of every entry this builder writes, and SOURCE_DATE_EPOCH for mmdebstrap. */
const FIXED_EPOCH = 1704067200; // 2024-01-01T00:00:00Z
const FIXED_CREATED = new Date(FIXED_EPOCH * 1000).toISOString().replace('.000Z', 'Z');

const JAVA_HOME = '/usr/lib/jvm/java-17-openjdk-amd64';
/** The official base images' PATH (eclipse-temurin: $JAVA_HOME/bin first), with this JRE. */
const BASE_PATH = `${JAVA_HOME}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;

const APPUSER = 1000; // apache/kafka: adduser appuser (busybox: first uid/gid 1000)
const ZKUSER = 1000; // zookeeper-docker: groupadd --gid=1000, useradd --uid=1000

/** Everything that decides the content of the Debian base layer (its cache key). */
const BASE = {
  suite: 'bookworm',
  variant: 'apt',
  mirrors: [
    'deb http://deb.debian.org/debian bookworm main',
    'deb http://deb.debian.org/debian bookworm-updates main',
    'deb http://deb.debian.org/debian-security bookworm-security main',
  ],
  dpkgopts: [
    // man pages stay: openjdk's postinst (update-alternatives) needs /usr/share/man.
    'path-exclude=/usr/share/doc/*',
    'path-include=/usr/share/doc/*/copyright',
    'path-exclude=/usr/share/locale/*',
    'path-include=/usr/share/locale/locale.alias',
    'path-exclude=/usr/share/info/*',
  ],
  customizeHooks: [
    'rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin "$1"/var/cache/apt/archives/*.deb',
    'rm -f "$1"/var/log/dpkg.log "$1"/var/log/alternatives.log "$1"/var/log/apt/*.log "$1"/var/cache/debconf/*-old',
    // mmdebstrap copies the build host's /etc/hostname and /etc/resolv.conf in; the
    // container runtime provides all three files, so ship neutral ones.
    'rm -f "$1"/etc/hostname && : > "$1"/etc/resolv.conf && printf "127.0.0.1\\tlocalhost\\n::1\\tlocalhost ip6-localhost ip6-loopback\\n" > "$1"/etc/hosts',
  ],
  skip: ['output/dev'],
  sourceDateEpoch: FIXED_EPOCH,
};

// ---------------------------------------------------------------------------------------
// Public API

export interface EnsureImagesOptions {
  /** Kafka versions (default 3.9.1 and 4.4.0). */
  kafka?: string[];
  /** ZooKeeper versions (default 3.9.3). */
  zookeeper?: string[];
  /** Include the pause image (default true). */
  pause?: boolean;
  /** Rebuild the archives even if cached (the rootfs and jar caches are kept). */
  force?: boolean;
  /** Only compute refs and archive paths; build nothing. Entries report `present`. */
  list?: boolean;
  /** Cache root; default $KAFKA_PLATFORM_CACHE or ~/.cache/kafka-platform. */
  cacheDir?: string;
  /** Progress sink; default: stderr. */
  log?: (line: string) => void;
}

export interface ImageArchive {
  ref: string;
  archive: string;
  /** Set when `list` was asked: whether the archive exists. */
  present?: boolean;
}

/** Builds whatever image is missing from the cache; returns one entry per image. */
export async function ensureImages(opts: EnsureImagesOptions = {}): Promise<ImageArchive[]> {
  const ctx = makeContext(opts);
  const plans: ImagePlan[] = [
    ...(opts.kafka ?? DEFAULT_KAFKA).map((v) => kafkaPlan(ctx, v)),
    ...(opts.zookeeper ?? DEFAULT_ZOOKEEPER).map((v) => zookeeperPlan(ctx, v)),
    ...(opts.pause === false ? [] : [pausePlan(ctx)]),
  ];
  const out: ImageArchive[] = [];
  for (const plan of plans) {
    if (opts.list) {
      out.push({ ref: plan.ref, archive: plan.archive, present: fs.existsSync(plan.archive) });
      continue;
    }
    if (!opts.force && fs.existsSync(plan.archive)) {
      ctx.log(`${plan.ref}: cached`);
    } else {
      const t0 = Date.now();
      ctx.log(`${plan.ref}: building`);
      await plan.build();
      pruneOlder(plan.archive);
      ctx.log(`${plan.ref}: built in ${secs(t0)} (${mib(fs.statSync(plan.archive).size)})`);
    }
    out.push({ ref: plan.ref, archive: plan.archive });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Context, plans

interface Context {
  cache: string;
  log: (line: string) => void;
  builderHash: string;
  baseKey: string;
  /** Memoized base build, shared by the images of one run. */
  basePromise?: Promise<BaseRootfs>;
}

interface ImagePlan {
  ref: string;
  archive: string;
  build: () => Promise<void>;
}

function makeContext(opts: EnsureImagesOptions): Context {
  const cache = path.join(
    opts.cacheDir ?? process.env.KAFKA_PLATFORM_CACHE ?? path.join(os.homedir(), '.cache', 'kafka-platform'),
    'images',
  );
  const log = opts.log ?? ((line: string) => process.stderr.write(`[images] ${line}\n`));
  const packages = readPackageList();
  return {
    cache,
    log,
    builderHash: sha256(fs.readFileSync(__filename)),
    baseKey: sha256(JSON.stringify({ ...BASE, packages })).slice(0, 12),
  };
}

/**
 * A JVM image on the shared base: its jars resolved by Maven from `pomTemplate`, one app layer
 * over the base, cached by every input's hash.
 */
function jvmImagePlan(
  ctx: Context,
  name: 'kafka' | 'zookeeper',
  version: string,
  pomTemplate: string,
  pomVars: Record<string, string>,
  layerOf: (jars: Jars, base: BaseRootfs) => Layer,
  configOf: (layers: Layer[]) => object,
): ImagePlan {
  const jarsKey = `${name}-${version}-${sha256(pomTemplate).slice(0, 8)}`;
  const hash = inputHash(ctx, name, [version, jarsKey]);
  const ref = `${REGISTRY}/${name}:${version}`;
  const archive = path.join(ctx.cache, 'archives', `${name}-${version}-${hash}.tar`);
  return {
    ref,
    archive,
    build: async () => {
      const base = await ensureBase(ctx);
      const jars = await ensureJars(ctx, jarsKey, pomTemplate, pomVars, name);
      const layer = layerOf(jars, base);
      writeDockerArchive(archive, ref, [base.layer, layer], configOf([base.layer, layer]));
      fs.rmSync(layer.path, { force: true });
    },
  };
}

function kafkaPlan(ctx: Context, version: string): ImagePlan {
  checkVersion('Kafka', version);
  const line = kafkaLine(version);
  const pomTemplate = fs.readFileSync(path.join(IMAGES_DIR, 'kafka', `pom-${line}.xml`), 'utf8');
  return jvmImagePlan(
    ctx, 'kafka', version, pomTemplate, { KAFKA_VERSION: version },
    (jars, base) => buildKafkaLayer(ctx, version, line, jars, base),
    (layers) => kafkaConfig(version, layers),
  );
}

function zookeeperPlan(ctx: Context, version: string): ImagePlan {
  checkVersion('ZooKeeper', version);
  const pomTemplate = fs.readFileSync(path.join(IMAGES_DIR, 'zookeeper', 'pom.xml.tmpl'), 'utf8');
  return jvmImagePlan(
    ctx, 'zookeeper', version, pomTemplate, { ZK_VERSION: version },
    (jars, base) => buildZookeeperLayer(ctx, version, jars, base),
    (layers) => zookeeperConfig(version, layers),
  );
}

function pausePlan(ctx: Context): ImagePlan {
  const hash = inputHash(ctx, 'pause', [PAUSE_VERSION]);
  const ref = `${REGISTRY}/pause:${PAUSE_VERSION}`;
  const archive = path.join(ctx.cache, 'archives', `pause-${PAUSE_VERSION}-${hash}.tar`);
  return {
    ref,
    archive,
    build: async () => {
      const layer = await buildPauseLayer(ctx);
      writeDockerArchive(archive, ref, [layer], pauseConfig([layer]));
      fs.rmSync(layer.path, { force: true });
    },
  };
}

/** Short hash of images/<name>/** (paths and contents), this builder and extra keys. */
function inputHash(ctx: Context, name: string, extra: string[]): string {
  const h = crypto.createHash('sha256');
  h.update(`builder ${ctx.builderHash}\nbase ${ctx.baseKey}\n${extra.join('\n')}\n`);
  for (const rel of walkFiles(path.join(IMAGES_DIR, name))) {
    h.update(`file ${rel}\n`);
    h.update(fs.readFileSync(path.join(IMAGES_DIR, name, rel)));
  }
  return h.digest('hex').slice(0, 12);
}

function checkVersion(what: string, version: string): void {
  if (!/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`${what} version must look like 1.2.3, not ${JSON.stringify(version)}`);
}

/** Which set of configs/scripts a Kafka version gets. */
function kafkaLine(version: string): '3.9' | '4.x' {
  const [major, minor] = version.split('.').map(Number);
  if (major === 3 && minor === 9) return '3.9';
  if (major === 4) return '4.x';
  throw new Error(`Kafka ${version}: only the 3.9 and 4.x lines have configs under images/kafka/`);
}

/** Removes archives of the same image and version with another input hash. */
function pruneOlder(archive: string): void {
  const dir = path.dirname(archive);
  const stem = path.basename(archive).replace(/-[0-9a-f]{12}\.tar$/, '-');
  for (const f of fs.readdirSync(dir)) {
    if (f.startsWith(stem) && /^[0-9a-f]{12}\.tar$/.test(f.slice(stem.length)) && path.join(dir, f) !== archive) {
      fs.rmSync(path.join(dir, f), { force: true });
    }
  }
}

// ---------------------------------------------------------------------------------------
// Base rootfs (Debian bookworm + JRE), one layer shared by the Kafka and ZooKeeper images

interface Layer {
  path: string;
  diffId: string; // sha256:<hex> of the uncompressed tar
  size: number;
  createdBy: string;
}

interface BaseFile {
  content: string;
  mode: number;
  uid: number;
  gid: number;
}

interface BaseRootfs {
  layer: Layer;
  /** /etc/passwd, group, shadow, gshadow of the base, extended by the app layers. */
  etc: Record<string, BaseFile>;
}

function readPackageList(): string[] {
  return fs
    .readFileSync(path.join(IMAGES_DIR, 'base', 'packages'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter(Boolean);
}

function ensureBase(ctx: Context): Promise<BaseRootfs> {
  ctx.basePromise ??= buildBase(ctx);
  return ctx.basePromise;
}

async function buildBase(ctx: Context): Promise<BaseRootfs> {
  const dir = path.join(ctx.cache, 'rootfs');
  const tarPath = path.join(dir, `debian-${BASE.suite}-${ctx.baseKey}.tar`);
  const metaPath = tarPath.replace(/\.tar$/, '.json');
  const createdBy = `mmdebstrap --variant=${BASE.variant} ${BASE.suite} + ${readPackageList().join(',')} (images/build.ts)`;
  if (fs.existsSync(tarPath) && fs.existsSync(metaPath)) {
    const meta = JSON.parse(fs.readFileSync(metaPath, 'utf8'));
    return { layer: { path: tarPath, diffId: meta.diffId, size: meta.size, createdBy }, etc: meta.etc };
  }
  fs.mkdirSync(dir, { recursive: true });
  const t0 = Date.now();
  ctx.log(`base rootfs: mmdebstrap ${BASE.suite} (${readPackageList().join(', ')})`);
  const tmp = `${tarPath}.tmp-${process.pid}.tar`;
  const args = [
    `--variant=${BASE.variant}`,
    `--include=${readPackageList().join(',')}`,
    ...BASE.skip.map((s) => `--skip=${s}`),
    ...BASE.dpkgopts.map((o) => `--dpkgopt=${o}`),
    ...BASE.customizeHooks.map((h) => `--customize-hook=${h}`),
    BASE.suite,
    tmp,
    ...BASE.mirrors,
  ];
  try {
    await run(ctx, 'mmdebstrap', 'mmdebstrap', args, { env: { SOURCE_DATE_EPOCH: String(BASE.sourceDateEpoch) } });
    const listing = await capture('tar', ['-tf', tmp]);
    if (!listing.split('\n').includes(`.${JAVA_HOME}/bin/java`)) throw new Error(`base rootfs has no ${JAVA_HOME}/bin/java`);
    const etc = await extractEtc(tmp);
    const { sha, size } = hashFile(tmp);
    fs.writeFileSync(`${metaPath}.tmp`, JSON.stringify({ diffId: `sha256:${sha}`, size, etc }, null, 2));
    fs.renameSync(tmp, tarPath);
    fs.renameSync(`${metaPath}.tmp`, metaPath);
    // Older rootfs builds (other package lists or settings) are no longer referenced.
    for (const f of fs.readdirSync(dir)) {
      if (/^debian-.*\.(tar|json)$/.test(f) && !tarPath.endsWith(f) && !metaPath.endsWith(f)) fs.rmSync(path.join(dir, f), { force: true });
    }
    ctx.log(`base rootfs: done in ${secs(t0)} (${mib(size)})`);
    return { layer: { path: tarPath, diffId: `sha256:${sha}`, size, createdBy }, etc };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Contents and metadata of the account files of a rootfs tar. */
async function extractEtc(tarPath: string): Promise<Record<string, BaseFile>> {
  const names = ['passwd', 'group', 'shadow', 'gshadow'];
  const verbose = await capture('tar', ['--numeric-owner', '-tvf', tarPath, ...names.map((n) => `./etc/${n}`)]);
  const etc: Record<string, BaseFile> = {};
  for (const name of names) {
    const line = verbose.split('\n').find((l) => l.endsWith(` ./etc/${name}`));
    if (!line) throw new Error(`base rootfs has no /etc/${name}`);
    const [perms, owner] = line.split(/\s+/);
    const [uid, gid] = owner.split('/').map(Number);
    const content = await capture('tar', ['-xOf', tarPath, `./etc/${name}`]);
    etc[name] = { content, mode: parsePerms(perms), uid, gid };
  }
  return etc;
}

function parsePerms(perms: string): number {
  let mode = 0;
  for (const [i, c] of [...perms.slice(1, 10)].entries()) if (c !== '-') mode |= 1 << (8 - i);
  return mode;
}

/** The base account files with extra lines appended, as layer entries. */
function accountEntries(base: BaseRootfs, add: Record<string, string>): Entry[] {
  return Object.entries(base.etc).map(([name, f]) => {
    const text = f.content.endsWith('\n') || f.content === '' ? f.content : `${f.content}\n`;
    return file(`etc/${name}`, f.mode, f.uid, f.gid, Buffer.from(text + (add[name] ? `${add[name]}\n` : '')));
  });
}

// ---------------------------------------------------------------------------------------
// Jars (Maven)

interface Jars {
  dir: string;
  files: string[];
}

async function ensureJars(
  ctx: Context,
  key: string,
  pomTemplate: string,
  vars: Record<string, string>,
  kind: 'kafka' | 'zookeeper',
): Promise<Jars> {
  const dir = path.join(ctx.cache, 'jars', key);
  const listJars = (d: string) => fs.readdirSync(d).filter((f) => f.endsWith('.jar')).sort();
  if (fs.existsSync(dir)) return { dir, files: listJars(dir) };
  const t0 = Date.now();
  ctx.log(`${key}: resolving jars with Maven`);
  const work = `${dir}.tmp-${process.pid}`;
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });
  try {
    let rendered = render(pomTemplate, vars);
    if (rendered.includes('@LOG4J2_VERSION@')) {
      // Kafka 4.x: the SLF4J binding must match the Log4j 2 that Kafka brings; a first
      // pass without it finds that version.
      const probe = path.join(work, 'probe');
      fs.mkdirSync(probe);
      fs.writeFileSync(path.join(probe, 'pom.xml'), rendered.split('\n').filter((l) => !l.includes('@LOG4J2_VERSION@')).join('\n'));
      await copyDependencies(ctx, key, probe);
      const core = listJars(path.join(probe, 'libs')).map((f) => /^log4j-core-(.+)\.jar$/.exec(f)?.[1]).find(Boolean);
      if (!core) throw new Error(`${key}: no log4j-core among Kafka's runtime jars; cannot pick the SLF4J binding`);
      rendered = rendered.replace(/@LOG4J2_VERSION@/g, core);
    }
    fs.writeFileSync(path.join(work, 'pom.xml'), rendered);
    await copyDependencies(ctx, key, work);
    const files = listJars(path.join(work, 'libs'));
    checkLogging(key, path.join(work, 'libs'), files, kind);
    try {
      fs.renameSync(path.join(work, 'libs'), dir);
    } catch (err) {
      // Another builder may have finished the same key first; its result is as good.
      if (!fs.existsSync(dir)) throw err;
    }
    ctx.log(`${key}: ${files.length} jars in ${secs(t0)}`);
    return { dir, files };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function copyDependencies(ctx: Context, key: string, projectDir: string): Promise<void> {
  return run(ctx, `mvn-${key}`, 'mvn', [
    '-B', '-q', '-f', path.join(projectDir, 'pom.xml'),
    'org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy-dependencies',
    '-DincludeScope=runtime', `-DoutputDirectory=${path.join(projectDir, 'libs')}`,
  ]);
}

/** Exactly one SLF4J binding, and for Kafka no Logback at all. */
function checkLogging(key: string, dir: string, files: string[], kind: 'kafka' | 'zookeeper'): void {
  const bindings = files.filter((f) => {
    const names = zipEntries(path.join(dir, f));
    return names.has('org/slf4j/impl/StaticLoggerBinder.class') || names.has('META-INF/services/org.slf4j.spi.SLF4JServiceProvider');
  });
  if (bindings.length !== 1) throw new Error(`${key}: expected one SLF4J binding, found ${bindings.length}: ${bindings.join(', ')}`);
  if (kind === 'kafka' && files.some((f) => f.startsWith('logback-'))) throw new Error(`${key}: Logback slipped in`);
}

// ---------------------------------------------------------------------------------------
// Kafka

interface Tool {
  script: string;
  cls: string | null; // null: not in this line
  optional: boolean;
  heap: string | null;
}

function kafkaTools(line: '3.9' | '4.x'): Tool[] {
  const rows = fs.readFileSync(path.join(IMAGES_DIR, 'kafka', 'tools.tsv'), 'utf8').split('\n');
  return rows
    .filter((r) => r.trim() && !r.startsWith('#'))
    .map((r) => {
      const [script, c39, c4, heap] = r.split('\t');
      const raw = line === '3.9' ? c39 : c4;
      return {
        script,
        cls: raw === '-' ? null : raw.replace(/^\?/, ''),
        optional: raw.startsWith('?'),
        heap: heap && heap !== '-' ? heap : null,
      };
    });
}

function toolScript(tool: Tool, line: string): string {
  const heap = tool.heap
    ? `if [ -z "$KAFKA_HEAP_OPTS" ]; then\n  export KAFKA_HEAP_OPTS="${tool.heap}"\nfi\n`
    : '';
  return (
    '#!/bin/sh\n' +
    `# kafka-platform local image: generated by images/build.ts from images/kafka/tools.tsv.\n` +
    `# Runs the same main class as the Kafka ${line} distribution's bin/${tool.script}.\n` +
    heap +
    `exec "$(dirname "$0")/kafka-run-class.sh" ${tool.cls} "$@"\n`
  );
}

function buildKafkaLayer(ctx: Context, version: string, line: '3.9' | '4.x', jars: Jars, base: BaseRootfs): Layer {
  const t0 = Date.now();
  const src = path.join(IMAGES_DIR, 'kafka');
  const classes = classIndex(jars);
  const has = (cls: string) => classes.has(`${cls.replace(/\./g, '/')}.class`);
  const flavour = line === '3.9' ? 'log4j1' : 'log4j2';
  const A = APPUSER;

  const entries: Entry[] = [
    dir('etc/', 0o755, 0, 0),
    ...accountEntries(base, {
      passwd: `appuser:x:${A}:${A}::/home/appuser:/bin/bash`,
      group: `appuser:x:${A}:`,
      shadow: 'appuser:!::0:99999:7:::',
      gshadow: 'appuser:!::',
    }),
    // Dockerfile:73-78: mkdir, chown appuser:root -R /etc/kafka /var/lib/kafka, chmod -R ug+w
    dir('etc/kafka/', 0o775, A, 0),
    dir('etc/kafka/docker/', 0o775, A, 0),
    dir('etc/kafka/secrets/', 0o775, A, 0),
    file('etc/kafka/docker/run', 0o755, A, A, fs.readFileSync(path.join(src, 'docker', 'run'))),
    dir('home/', 0o755, 0, 0),
    dir('home/appuser/', 0o755, A, A),
    dir('mnt/', 0o755, 0, 0),
    dir('mnt/shared/', 0o755, 0, 0),
    dir('mnt/shared/config/', 0o755, A, A),
    dir('opt/', 0o755, 0, 0),
    dir('opt/kafka/', 0o755, A, A),
    dir('opt/kafka/bin/', 0o755, A, A),
    dir('opt/kafka/config/', 0o755, A, A),
    dir('opt/kafka/libs/', 0o755, A, A),
    dir('usr/', 0o755, 0, 0),
    dir('usr/logs/', 0o755, A, A),
    dir('var/', 0o755, 0, 0),
    dir('var/lib/', 0o755, 0, 0),
    dir('var/lib/kafka/', 0o775, A, 0),
    dir('var/lib/kafka/data/', 0o775, A, 0),
    file('__cacert_entrypoint.sh', 0o755, 0, 0, fs.readFileSync(path.join(src, 'docker', 'cacert-entrypoint.sh'))),
  ];

  // Launch scripts: the two hand-written ones, the per-line extras, then the generated tools.
  const vars = { KAFKA_LOG4J_FLAVOUR: flavour };
  const scriptDirs = ['bin', ...(line === '3.9' ? ['bin-3.9'] : [])];
  for (const d of scriptDirs) {
    for (const f of fs.readdirSync(path.join(src, d)).sort()) {
      entries.push(file(`opt/kafka/bin/${f}`, 0o755, A, A, Buffer.from(render(fs.readFileSync(path.join(src, d, f), 'utf8'), vars))));
    }
  }
  if (!has('kafka.Kafka')) throw new Error(`Kafka ${version}: kafka.Kafka is not in the resolved jars`);
  if (line === '3.9' && !has('org.apache.zookeeper.ZooKeeperMainWithTlsSupportForKafka')) {
    throw new Error(`Kafka ${version}: zookeeper-shell.sh's class is not in the resolved jars`);
  }
  for (const tool of kafkaTools(line)) {
    if (!tool.cls) continue;
    if (!has(tool.cls)) {
      if (tool.optional) {
        ctx.log(`kafka ${version}: ${tool.script} left out (${tool.cls} is not in the resolved jars)`);
        continue;
      }
      throw new Error(`Kafka ${version}: ${tool.script} needs ${tool.cls}, which is not in the resolved jars`);
    }
    entries.push(file(`opt/kafka/bin/${tool.script}`, 0o755, A, A, Buffer.from(toolScript(tool, line))));
  }

  // Config: the distribution's config/ files, and the copies the Dockerfile makes into
  // /etc/kafka/docker (Dockerfile:79-81; made after the chown, so root-owned).
  const cfgDir = path.join(src, 'config', line);
  for (const rel of walkFiles(cfgDir)) {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) entries.push(dir(`opt/kafka/config/${parts.slice(0, i).join('/')}/`, 0o755, A, A));
    entries.push(file(`opt/kafka/config/${rel}`, 0o644, A, A, fs.readFileSync(path.join(cfgDir, rel))));
  }
  const dockerCopies =
    line === '3.9'
      ? { 'log4j.properties': 'log4j.properties', 'tools-log4j.properties': 'tools-log4j.properties', 'server.properties': 'kraft/server.properties' }
      : { 'log4j2.yaml': 'log4j2.yaml', 'tools-log4j2.yaml': 'tools-log4j2.yaml', 'server.properties': 'server.properties' };
  for (const [name, from] of Object.entries(dockerCopies)) {
    entries.push(file(`etc/kafka/docker/${name}`, 0o644, 0, 0, fs.readFileSync(path.join(cfgDir, from))));
  }

  for (const jar of jars.files) entries.push(diskFile(`opt/kafka/libs/${jar}`, 0o644, A, A, path.join(jars.dir, jar)));

  const layer = writeLayer(ctx, `kafka-${version}`, entries, `kafka ${version}: /opt/kafka, appuser, directories (images/kafka, images/build.ts)`);
  ctx.log(`kafka ${version}: app layer ${mib(layer.size)} in ${secs(t0)}`);
  return layer;
}

function kafkaConfig(version: string, layers: Layer[]): object {
  return imageConfig(layers, {
    User: 'appuser',
    Env: [`PATH=${BASE_PATH}`, `JAVA_HOME=${JAVA_HOME}`, 'LANG=C.UTF-8'],
    Entrypoint: ['/__cacert_entrypoint.sh'],
    Cmd: ['/etc/kafka/docker/run'],
    ExposedPorts: { '9092/tcp': {} },
    Volumes: { '/etc/kafka/secrets': {}, '/var/lib/kafka/data': {}, '/mnt/shared/config': {} },
    Labels: {
      'org.label-schema.name': 'kafka',
      'org.label-schema.description': 'Apache Kafka',
      'org.label-schema.build-date': FIXED_CREATED,
      'org.label-schema.vcs-url': 'https://github.com/apache/kafka',
      maintainer: 'Apache Kafka',
      'local.kafka-platform.kafka-version': version,
    },
  });
}

// ---------------------------------------------------------------------------------------
// ZooKeeper

function buildZookeeperLayer(ctx: Context, version: string, jars: Jars, base: BaseRootfs): Layer {
  const t0 = Date.now();
  const src = path.join(IMAGES_DIR, 'zookeeper');
  const dist = `apache-zookeeper-${version}-bin`;
  const Z = ZKUSER;
  const classes = classIndex(jars);
  for (const cls of ['org.apache.zookeeper.server.quorum.QuorumPeerMain', 'org.apache.zookeeper.ZooKeeperMain', 'com.codahale.metrics.Reservoir']) {
    if (!classes.has(`${cls.replace(/\./g, '/')}.class`)) throw new Error(`ZooKeeper ${version}: ${cls} is not in the resolved jars`);
  }
  const entries: Entry[] = [
    dir(`${dist}/`, 0o755, Z, Z),
    dir(`${dist}/bin/`, 0o755, Z, Z),
    dir(`${dist}/conf/`, 0o755, Z, Z), // emptied by the Dockerfile's mv conf/* /conf
    dir(`${dist}/lib/`, 0o755, Z, Z),
    dir('conf/', 0o755, Z, Z),
    dir('data/', 0o755, Z, Z),
    dir('datalog/', 0o755, Z, Z),
    dir('logs/', 0o755, Z, Z),
    file('docker-entrypoint.sh', 0o755, 0, 0, fs.readFileSync(path.join(src, 'docker-entrypoint.sh'))),
    dir('etc/', 0o755, 0, 0),
    ...accountEntries(base, {
      passwd: `zookeeper:x:${Z}:${Z}::/home/zookeeper:/bin/sh`,
      group: `zookeeper:x:${Z}:`,
      shadow: 'zookeeper:!:::::::',
      gshadow: 'zookeeper:!::',
    }),
  ];
  for (const f of fs.readdirSync(path.join(src, 'bin')).sort()) {
    entries.push(file(`${dist}/bin/${f}`, 0o755, Z, Z, fs.readFileSync(path.join(src, 'bin', f))));
  }
  for (const f of fs.readdirSync(path.join(src, 'conf')).sort()) {
    entries.push(file(`conf/${f}`, 0o644, 0, 0, fs.readFileSync(path.join(src, 'conf', f))));
  }
  for (const jar of jars.files) entries.push(diskFile(`${dist}/lib/${jar}`, 0o644, Z, Z, path.join(jars.dir, jar)));
  const layer = writeLayer(ctx, `zookeeper-${version}`, entries, `zookeeper ${version}: /${dist}, /conf, zookeeper user (images/zookeeper, images/build.ts)`);
  ctx.log(`zookeeper ${version}: app layer ${mib(layer.size)} in ${secs(t0)}`);
  return layer;
}

function zookeeperConfig(version: string, layers: Layer[]): object {
  const dist = `apache-zookeeper-${version}-bin`;
  return imageConfig(layers, {
    Env: [
      `PATH=${BASE_PATH}:/${dist}/bin`,
      `JAVA_HOME=${JAVA_HOME}`,
      'LANG=C.UTF-8',
      'ZOO_CONF_DIR=/conf',
      'ZOO_DATA_DIR=/data',
      'ZOO_DATA_LOG_DIR=/datalog',
      'ZOO_LOG_DIR=/logs',
      'ZOO_TICK_TIME=2000',
      'ZOO_INIT_LIMIT=5',
      'ZOO_SYNC_LIMIT=2',
      'ZOO_AUTOPURGE_PURGEINTERVAL=0',
      'ZOO_AUTOPURGE_SNAPRETAINCOUNT=3',
      'ZOO_MAX_CLIENT_CNXNS=60',
      'ZOO_STANDALONE_ENABLED=true',
      'ZOO_ADMINSERVER_ENABLED=true',
      'ZOOCFGDIR=/conf',
    ],
    Entrypoint: ['/docker-entrypoint.sh'],
    Cmd: ['zkServer.sh', 'start-foreground'],
    WorkingDir: `/${dist}`,
    ExposedPorts: { '2181/tcp': {}, '2888/tcp': {}, '3888/tcp': {}, '8080/tcp': {} },
    Volumes: { '/data': {}, '/datalog': {}, '/logs': {} },
    Labels: { 'local.kafka-platform.zookeeper-version': version },
  });
}

// ---------------------------------------------------------------------------------------
// pause

async function buildPauseLayer(ctx: Context): Promise<Layer> {
  const t0 = Date.now();
  fs.mkdirSync(path.join(ctx.cache, 'tmp'), { recursive: true });
  const work = fs.mkdtempSync(path.join(ctx.cache, 'tmp', 'pause-'));
  try {
    const bin = path.join(work, 'pause');
    await run(ctx, 'go-pause', 'go', ['build', '-trimpath', '-ldflags=-s -w -buildid=', '-o', bin, '.'], {
      cwd: path.join(IMAGES_DIR, 'pause'),
      env: { CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'amd64', GOTOOLCHAIN: 'local', GOWORK: 'off' },
    });
    const layer = writeLayer(ctx, 'pause', [file('pause', 0o755, 0, 0, fs.readFileSync(bin))], 'pause: static Go binary (images/pause)');
    ctx.log(`pause: built in ${secs(t0)}`);
    return layer;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function pauseConfig(layers: Layer[]): object {
  return imageConfig(layers, {
    User: '65535:65535',
    Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    Entrypoint: ['/pause'],
    WorkingDir: '/',
  });
}

// ---------------------------------------------------------------------------------------
// Image config and docker-archive

function imageConfig(layers: Layer[], config: Record<string, unknown>): object {
  return {
    architecture: 'amd64',
    os: 'linux',
    created: FIXED_CREATED,
    config,
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: layers.map((l) => ({ created: FIXED_CREATED, created_by: l.createdBy })),
  };
}

/**
 * Writes a docker-archive ("docker save" layout): <diffid>/layer.tar per layer,
 * <config digest>.json, manifest.json and repositories.
 */
function writeDockerArchive(archive: string, ref: string, layers: Layer[], config: object): void {
  fs.mkdirSync(path.dirname(archive), { recursive: true });
  const configJson = Buffer.from(JSON.stringify(config));
  const configHex = sha256(configJson);
  const tmp = `${archive}.tmp-${process.pid}`;
  const tar = new TarWriter(tmp);
  try {
    const layerPaths: string[] = [];
    for (const layer of layers) {
      const hex = layer.diffId.replace('sha256:', '');
      tar.add(dir(`${hex}/`, 0o755, 0, 0));
      tar.add(diskFile(`${hex}/layer.tar`, 0o644, 0, 0, layer.path));
      layerPaths.push(`${hex}/layer.tar`);
    }
    tar.add(file(`${configHex}.json`, 0o644, 0, 0, configJson));
    const manifest = [{ Config: `${configHex}.json`, RepoTags: [ref], Layers: layerPaths }];
    tar.add(file('manifest.json', 0o644, 0, 0, Buffer.from(JSON.stringify(manifest))));
    const colon = ref.lastIndexOf(':');
    const top = layers[layers.length - 1].diffId.replace('sha256:', '');
    tar.add(file('repositories', 0o644, 0, 0, Buffer.from(JSON.stringify({ [ref.slice(0, colon)]: { [ref.slice(colon + 1)]: top } }))));
    tar.finish();
    fs.renameSync(tmp, archive);
  } finally {
    tar.close();
    fs.rmSync(tmp, { force: true });
  }
}

function writeLayer(ctx: Context, name: string, entries: Entry[], createdBy: string): Layer {
  fs.mkdirSync(path.join(ctx.cache, 'tmp'), { recursive: true });
  const layerPath = path.join(ctx.cache, 'tmp', `${name}-layer-${process.pid}.tar`);
  const tar = new TarWriter(layerPath);
  try {
    // Sorted, de-duplicated (a directory may be listed twice), fixed mtime, numeric owners.
    const seen = new Map<string, Entry>();
    for (const e of entries) seen.set(e.name, e);
    for (const e of [...seen.values()].sort((a, b) => cmp(a.name.replace(/\/$/, ''), b.name.replace(/\/$/, '')))) tar.add(e);
    const { sha, size } = tar.finish();
    return { path: layerPath, diffId: `sha256:${sha}`, size, createdBy };
  } finally {
    tar.close();
  }
}

// ---------------------------------------------------------------------------------------
// tar writer (ustar, PAX for long names), synchronous, hashing what it writes

type Entry =
  | { name: string; type: 'dir'; mode: number; uid: number; gid: number }
  | { name: string; type: 'file'; mode: number; uid: number; gid: number; data: Buffer }
  | { name: string; type: 'disk'; mode: number; uid: number; gid: number; src: string };

const dir = (name: string, mode: number, uid: number, gid: number): Entry => ({ name, type: 'dir', mode, uid, gid });
const file = (name: string, mode: number, uid: number, gid: number, data: Buffer): Entry => ({ name, type: 'file', mode, uid, gid, data });
const diskFile = (name: string, mode: number, uid: number, gid: number, src: string): Entry => ({ name, type: 'disk', mode, uid, gid, src });

class TarWriter {
  private fd: number;
  private hash = crypto.createHash('sha256');
  private size = 0;

  constructor(private readonly target: string) {
    this.fd = fs.openSync(target, 'w');
  }

  add(e: Entry): void {
    const size = e.type === 'file' ? e.data.length : e.type === 'disk' ? fs.statSync(e.src).size : 0;
    const typeflag = e.type === 'dir' ? '5' : '0';
    this.header(e.name, e.mode, e.uid, e.gid, size, typeflag);
    if (e.type === 'file') {
      this.write(e.data);
    } else if (e.type === 'disk') {
      const src = fs.openSync(e.src, 'r');
      const buf = Buffer.allocUnsafe(4 << 20);
      try {
        let left = size;
        while (left > 0) {
          const n = fs.readSync(src, buf, 0, Math.min(buf.length, left), null);
          if (n <= 0) throw new Error(`${e.src}: file shrank while being archived`);
          this.write(buf.subarray(0, n));
          left -= n;
        }
      } finally {
        fs.closeSync(src);
      }
    }
    this.pad(size);
  }

  finish(): { sha: string; size: number } {
    this.write(Buffer.alloc(1024)); // two zero blocks
    fs.fsyncSync(this.fd);
    return { sha: this.hash.digest('hex'), size: this.size };
  }

  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  private header(name: string, mode: number, uid: number, gid: number, size: number, typeflag: string): void {
    let ustarName = name;
    let prefix = '';
    if (Buffer.byteLength(name) > 100) {
      const split = splitUstar(name);
      if (split) {
        [prefix, ustarName] = split;
      } else {
        // PAX extended header carrying the full path.
        const rec = paxRecord('path', name);
        this.header(`PaxHeaders/${path.basename(name).slice(0, 80)}`, 0o644, 0, 0, rec.length, 'x');
        this.write(rec);
        this.pad(rec.length);
        ustarName = name.slice(-100).replace(/^[^/]*\//, '');
      }
    }
    const h = Buffer.alloc(512);
    h.write(ustarName, 0, 100, 'utf8');
    h.write(octal(mode, 8), 100, 'ascii');
    h.write(octal(uid, 8), 108, 'ascii');
    h.write(octal(gid, 8), 116, 'ascii');
    h.write(octal(size, 12), 124, 'ascii');
    h.write(octal(FIXED_EPOCH, 12), 136, 'ascii');
    h.write('        ', 148, 'ascii'); // checksum placeholder
    h.write(typeflag, 156, 'ascii');
    h.write('ustar\u000000', 257, 'binary'); // magic "ustar\0" + version "00"
    h.write(prefix, 345, 155, 'utf8');
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'ascii');
    this.write(h);
  }

  private pad(size: number): void {
    const rem = size % 512;
    if (rem) this.write(Buffer.alloc(512 - rem));
  }

  private write(buf: Buffer): void {
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off);
    this.hash.update(buf);
    this.size += buf.length;
  }
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\u0000`;
}

/** Splits a long path into ustar prefix (<=155 bytes) and name (<=100 bytes) at a '/'. */
function splitUstar(name: string): [string, string] | null {
  for (let i = name.length - 1; i > 0; i--) {
    if (name[i] !== '/' || i === name.length - 1) continue;
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100) return [prefix, rest];
  }
  return null;
}

function paxRecord(key: string, value: string): Buffer {
  // "<len> key=value\n", where <len> counts its own digits too.
  const body = ` ${key}=${value}\n`;
  const bodyLen = Buffer.byteLength(body);
  let len = bodyLen + 1;
  while (String(len).length + bodyLen !== len) len = String(len).length + bodyLen;
  return Buffer.from(`${len}${body}`);
}

// ---------------------------------------------------------------------------------------
// zip central directory (class lists of jars)

function zipEntries(jar: string): Set<string> {
  const buf = fs.readFileSync(jar);
  const names = new Set<string>();
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${jar}: not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  if (p === 0xffffffff || count === 0xffff) throw new Error(`${jar}: zip64 jars are not supported`);
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${jar}: bad central directory`);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    names.add(buf.toString('utf8', p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}

function classIndex(jars: Jars): Set<string> {
  const all = new Set<string>();
  for (const f of jars.files) for (const n of zipEntries(path.join(jars.dir, f))) all.add(n);
  return all;
}

// ---------------------------------------------------------------------------------------
// helpers

function sha256(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

function hashFile(p: string): { sha: string; size: number } {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(p, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  let size = 0;
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
      size += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { sha: h.digest('hex'), size };
}

function walkFiles(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const d of fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => cmp(a.name, b.name))) {
    const r = rel ? `${rel}/${d.name}` : d.name;
    if (d.isDirectory()) out.push(...walkFiles(root, r));
    else if (d.isFile()) out.push(r);
  }
  return out;
}

function render(template: string, vars: Record<string, string>): string {
  return template.replace(/@([A-Z0-9_]+)@/g, (m, k: string) => (k in vars ? vars[k] : m));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function secs(t0: number): string {
  return `${((Date.now() - t0) / 1000).toFixed(1)}s`;
}

function mib(n: number): string {
  return `${(n / 1048576).toFixed(1)} MiB`;
}

/** Runs a command, its output going to logs/<name>.log; on failure shows the log's tail. */
function run(ctx: Context, name: string, cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<void> {
  const logDir = path.join(ctx.cache, 'logs');
  fs.mkdirSync(logDir, { recursive: true });
  const logPath = path.join(logDir, `${name}.log`);
  const out = fs.openSync(logPath, 'w');
  return new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', out, out] });
    child.on('error', (err) => {
      fs.closeSync(out);
      reject(new Error(`${cmd}: ${err.message}`));
    });
    child.on('close', (code) => {
      fs.closeSync(out);
      if (code === 0) return resolve();
      const tail = fs.readFileSync(logPath, 'utf8').split('\n').slice(-25).join('\n');
      reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} ... exited ${code}; log ${logPath}:\n${tail}`));
    });
  });
}

/** Runs a command and returns its stdout (as latin1, so binary-safe for small files). */
function capture(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${err.trim()}`)),
    );
  });
}

// ---------------------------------------------------------------------------------------
// CLI

async function main(argv: string[]): Promise<number> {
  const split = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);
  const program = new Command()
    .name('images')
    .description('Build the local container images (docker-archive tars) that are missing from the cache')
    .option('--kafka <versions>', 'Kafka versions, comma-separated', DEFAULT_KAFKA.join(','))
    .option('--zookeeper <versions>', 'ZooKeeper versions, comma-separated', DEFAULT_ZOOKEEPER.join(','))
    .option('--list', 'print refs and archive paths only; exit 1 if any archive is missing')
    .option('--force', 'rebuild the archives even if cached')
    .parse(argv);
  const o = program.opts<{ kafka: string; zookeeper: string; list?: boolean; force?: boolean }>();
  const t0 = Date.now();
  const images = await ensureImages({ kafka: split(o.kafka), zookeeper: split(o.zookeeper), list: o.list, force: o.force });
  for (const img of images) process.stdout.write(`${img.ref}\t${img.archive}\n`);
  if (o.list) {
    const missing = images.filter((i) => !i.present);
    for (const m of missing) process.stderr.write(`[images] missing: ${m.ref}\n`);
    return missing.length ? 1 : 0;
  }
  process.stderr.write(`[images] done in ${secs(t0)}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv).then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`[images] error: ${err.message}\n`);
      process.exit(1);
    },
  );
}
