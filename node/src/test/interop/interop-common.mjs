// Shared conventions of the interop scripts: one JSON line per step on stdout, the first failure
// ends the run with a non-zero exit, every wait has a bound, bad arguments exit 2.
//
// A step line is {"step":"<name>","ok":true,...facts}; a failure line is
// {"step":"<name>","ok":false,"error":"<what was expected and what came>"} and is also written to
// stderr for a human reading the build log. The Java harness (NodeJs.java) parses stdout.

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
const CAUSE_DEPTH_MAX = 4;

/** A step failed: its message says what was expected and what came instead. */
export class StepFailure extends Error {}

let currentStep = 'start';
let stepStarted = Date.now();

/**
 * Prints a successful step's line with the milliseconds since its {@link begin} (for reading a
 * slow run, never for asserting). Values are made JSON-safe (bigint, Amount objects).
 */
export function report(step, facts = {}) {
  process.stdout.write(JSON.stringify({ step, ok: true, ...facts, ms: Date.now() - stepStarted }, jsonSafe) + '\n');
}

/** Names the step now running, so that an unexpected exception is reported against it. */
export function begin(step) {
  currentStep = step;
  stepStarted = Date.now();
}

/** Throws a StepFailure unless {@code condition} holds. */
export function check(condition, message) {
  if (!condition) {
    throw new StepFailure(message);
  }
}

/** Prints the usage and exits 2. */
export function usage(text, problem) {
  process.stderr.write(`${problem}\nusage: ${text}\n`);
  process.stdout.write(JSON.stringify({ step: 'args', ok: false, error: problem }) + '\n');
  process.exit(EXIT_USAGE);
}

/**
 * Parses exactly {@code count} URL arguments whose scheme is one of {@code schemes} (e.g.
 * ['http:', 'https:']); exits 2 with the usage otherwise.
 */
export function urlArguments(argv, count, schemes, usageText) {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`usage: ${usageText}\n`);
    process.exit(0);
  }
  if (argv.length !== count) {
    usage(usageText, `expected ${count} arguments, got ${argv.length}`);
  }
  return argv.map((value, index) => {
    let url;
    try {
      url = new URL(value);
    } catch {
      usage(usageText, `argument ${index + 1} is not a URL: '${value}'`);
    }
    if (!schemes.includes(url.protocol)) {
      usage(usageText, `argument ${index + 1} '${value}' must use ${schemes.join(' or ')} (got ${url.protocol})`);
    }
    return value.replace(/\/+$/, '');
  });
}

/** A positive integer from environment variable {@code name}, or {@code fallback}; bad values exit 2. */
export function envMillis(name, fallback, usageText) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    usage(usageText, `environment variable ${name} must be a positive integer of milliseconds, got '${raw}'`);
  }
  return value;
}

/** Resolves like {@code promise}, or rejects with a StepFailure naming {@code what} after {@code ms}. */
export function within(ms, what, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new StepFailure(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Calls {@code probe} every {@code intervalMs} until it returns a value other than undefined, for at
 * most {@code timeoutMs}; then fails naming {@code what} and the last value seen.
 */
export async function until(what, probe, { timeoutMs, intervalMs }) {
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let last;
  for (;;) {
    attempts++;
    last = await probe();
    if (last !== undefined && last.done) {
      return { value: last.value, attempts };
    }
    if (Date.now() + intervalMs > deadline) {
      throw new StepFailure(`${what}: not reached within ${timeoutMs} ms after ${attempts} attempts`
        + (last?.seen === undefined ? '' : `; last seen ${JSON.stringify(last.seen, jsonSafe)}`));
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Runs {@code body} with an overall bound of {@code totalMs}; prints the failure line of the step
 * that failed and exits 1, or exits 0 when every step passed.
 */
export async function main(totalMs, body) {
  const overall = setTimeout(() => {
    fail(new StepFailure(`the whole run exceeded ${totalMs} ms`));
  }, totalMs);
  overall.unref();
  try {
    await body();
  } catch (e) {
    fail(e);
  }
  clearTimeout(overall);
  // Open sockets (a relay connection, keep-alive HTTP) must not keep a finished run alive.
  process.exit(0);
}

function fail(error) {
  const message = describe(error);
  process.stdout.write(JSON.stringify({ step: currentStep, ok: false, error: message }) + '\n');
  process.stderr.write(`FAILED at step '${currentStep}': ${message}\n`);
  if (!(error instanceof StepFailure) && error?.stack) {
    process.stderr.write(error.stack + '\n');
  }
  process.exit(EXIT_FAILURE);
}

/** A one-line description of any thrown value, with its library error code and cause when present. */
export function describe(error) {
  if (!(error instanceof Error)) {
    return String(error);
  }
  let text = error instanceof StepFailure ? error.message : `${error.name}: ${error.message}`;
  if (error.code !== undefined) {
    text += ` (code ${error.code})`;
  }
  if (error.status !== undefined) {
    text += ` (HTTP ${error.status})`;
  }
  // fetch failures nest: the library's NetworkError, undici's "fetch failed", then the socket error
  // (ECONNREFUSED 127.0.0.1:PORT) that says what actually went wrong.
  let cause = error.cause;
  for (let depth = 0; cause instanceof Error && depth < CAUSE_DEPTH_MAX; depth++, cause = cause.cause) {
    if (!text.includes(cause.message)) {
      text += `; cause: ${cause.message}${cause.code ? ` (${cause.code})` : ''}`;
    }
  }
  return text;
}

function jsonSafe(_key, value) {
  return typeof value === 'bigint' ? value.toString() : value;
}
