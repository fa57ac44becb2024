// Helpers shared by the project's Node.js test suites (interop, webjs, browser). Node's own modules only.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';

// Runs one of the project's tools; resolves with its exit code and output, whatever the code.
export function runTool(file, args, { input, env } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    const stdout = [];
    const stderr = [];
    child.stdout.on('data', (b) => stdout.push(b));
    child.stderr.on('data', (b) => stderr.push(b));
    child.on('error', reject);
    // A tool that exits without reading its input closes the pipe first: its exit code and output
    // are the result, not the EPIPE of writing to it.
    child.stdin.on('error', (error) => {
      if (error.code !== 'EPIPE') reject(error);
    });
    child.on('close', (code, signal) =>
      resolve({
        code: signal ? `signal ${signal}` : code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      }),
    );
    child.stdin.end(input ?? '');
  });
}

// The same, failing the test unless the tool exits 0.
export async function runToolOk(file, args, options) {
  const result = await runTool(file, args, options);
  const command = `${path.basename(file)} ${args.join(' ')}`;
  assert.equal(result.code, 0, `${command} exited ${result.code}\n${result.stdout}${result.stderr}`);
  return result;
}

// A test vector file (FORMAT.md section 12.1): headers up to the first empty line, then the raw body.
export function parseVector(raw) {
  const end = raw.indexOf('\n\n');
  if (end < 0) throw new Error('no empty line after the headers');
  const headers = new Map();
  for (const line of raw.subarray(0, end).toString('utf8').split('\n')) {
    const sep = line.indexOf(': ');
    if (sep < 0) throw new Error(`header line without ": ": ${JSON.stringify(line)}`);
    const key = line.slice(0, sep);
    if (!headers.has(key)) headers.set(key, []);
    headers.get(key).push(line.slice(sep + 2));
  }
  const one = (key) => {
    const values = headers.get(key);
    if (!values || values.length !== 1) throw new Error(`needs exactly one "${key}:" header`);
    return values[0];
  };
  return { headers, one, body: new Uint8Array(raw.subarray(end + 2)) };
}
