/**
 * The base URL of a backend started as a child process, read from the line
 * main.ts prints once it listens (`… live page at http://host:port/`).
 */
import type { ChildProcess } from 'node:child_process';

/** Resolves with `http://host:port`; rejects, with what it printed, if the process exits first. */
export function backendUrl(child: ChildProcess, label: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    // Read when piped, for the failure message (an unread pipe would also stall the child once full).
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /live page at (http:\/\/[^\s/]+)/.exec(output);
      if (match?.[1] !== undefined) {
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code}: ${output}`)));
  });
}
