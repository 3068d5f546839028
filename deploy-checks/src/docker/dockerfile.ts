/**
 * A Dockerfile read into stages and steps (parsed with dockerfile-ast, the
 * parser of the Docker language server), enough to check it and to replay its
 * steps on the host (docker/emulate.ts).
 */
import { DockerfileParser, type Env, type From, type Instruction, type JSONInstruction, type ModifiableInstruction } from 'dockerfile-ast';

export type Step =
  | { readonly kind: 'copy'; readonly line: number; readonly from?: string; readonly sources: readonly string[]; readonly dest: string }
  | { readonly kind: 'run'; readonly line: number; readonly command: string }
  | { readonly kind: 'env'; readonly line: number; readonly vars: ReadonlyArray<readonly [string, string]> }
  | { readonly kind: 'workdir'; readonly line: number; readonly path: string }
  | { readonly kind: 'user'; readonly line: number; readonly user: string }
  | { readonly kind: 'healthcheck'; readonly line: number; readonly command: readonly string[] | string }
  | { readonly kind: 'cmd'; readonly line: number; readonly command: readonly string[] | string }
  | { readonly kind: 'other'; readonly line: number; readonly keyword: string };

export interface Stage {
  readonly index: number;
  readonly name?: string;
  /** The FROM image as written, e.g. `node:20.20.2-bookworm-slim`, or an earlier stage's name. */
  readonly from: string;
  /** Set when FROM names an earlier stage. */
  readonly baseStage?: string;
  readonly image?: { readonly name: string; readonly tag?: string; readonly digest?: string };
  readonly line: number;
  readonly steps: readonly Step[];
}

function lineOf(instruction: Instruction): number {
  return instruction.getRange().start.line + 1;
}

/** The JSON (exec) form when written so, else the shell form's text. */
function commandOf(instruction: JSONInstruction): readonly string[] | string {
  const json = instruction.getJSONStrings();
  return json.length > 0 ? json.map((arg) => arg.getJSONValue()) : (instruction.getArgumentsContent() ?? '');
}

function flag(instruction: ModifiableInstruction, name: string): string | undefined {
  return instruction.getFlags().find((f) => f.getName() === name)?.getValue() ?? undefined;
}

function stepOf(instruction: Instruction): Step {
  const line = lineOf(instruction);
  const keyword = instruction.getKeyword();
  switch (keyword) {
    case 'COPY': {
      const copy = instruction as JSONInstruction;
      const json = copy.getJSONStrings().map((arg) => arg.getJSONValue());
      const args = json.length > 0 ? json : copy.getArguments().map((arg) => arg.getValue());
      const from = flag(copy, 'from');
      return { kind: 'copy', line, ...(from === undefined ? {} : { from }), sources: args.slice(0, -1), dest: args[args.length - 1] ?? '' };
    }
    case 'RUN':
      return { kind: 'run', line, command: commandOf(instruction as JSONInstruction) as string };
    case 'ENV': {
      const env = instruction as Env;
      return { kind: 'env', line, vars: env.getProperties().map((p) => [p.getName(), p.getUnescapedValue() ?? ''] as const) };
    }
    case 'WORKDIR':
      return { kind: 'workdir', line, path: instruction.getArgumentsContent() ?? '' };
    case 'USER':
      return { kind: 'user', line, user: instruction.getArgumentsContent() ?? '' };
    case 'HEALTHCHECK': {
      const text = (instruction.getArgumentsContent() ?? '').trim();
      const body = text.replace(/^CMD\s+/i, '');
      return { kind: 'healthcheck', line, command: /^NONE$/i.test(text) ? [] : body.startsWith('[') ? (JSON.parse(body) as string[]) : body };
    }
    case 'CMD':
      return { kind: 'cmd', line, command: commandOf(instruction as JSONInstruction) };
    default:
      return { kind: 'other', line, keyword };
  }
}

export function parseDockerfile(text: string): Stage[] {
  const dockerfile = DockerfileParser.parse(text);
  const stages: Stage[] = [];
  let current: { stage: Omit<Stage, 'steps'>; steps: Step[] } | undefined;
  const finish = () => {
    if (current !== undefined) {
      stages.push({ ...current.stage, steps: current.steps });
    }
  };
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() !== 'FROM') {
      current?.steps.push(stepOf(instruction));
      continue;
    }
    finish();
    const from = instruction as From;
    const image = from.getImage() ?? '';
    const name = from.getBuildStage() ?? undefined;
    const baseStage = stages.find((stage) => stage.name !== undefined && stage.name === image)?.name;
    const tag = from.getImageTag() ?? undefined;
    const digest = from.getImageDigest() ?? undefined;
    current = {
      stage: {
        index: stages.length,
        from: image,
        line: lineOf(instruction),
        ...(name === undefined ? {} : { name }),
        ...(baseStage === undefined
          ? { image: { name: from.getImageName() ?? image, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) } }
          : { baseStage }),
      },
      steps: [],
    };
  }
  finish();
  return stages;
}

/** The stage and the stages it builds on (FROM <stage>), nearest first. */
export function lineage(stages: readonly Stage[], name: string): Stage[] {
  const chain: Stage[] = [];
  let stage = stages.find((s) => s.name === name);
  while (stage !== undefined && !chain.includes(stage)) {
    chain.push(stage);
    const base = stage.baseStage;
    stage = base === undefined ? undefined : stages.find((s) => s.name === base);
  }
  return chain;
}

/** The last step of a kind that applies to a stage, following FROM <stage>. */
export function effective<K extends Step['kind']>(stages: readonly Stage[], name: string, kind: K): Extract<Step, { kind: K }> | undefined {
  for (const stage of lineage(stages, name)) {
    const steps = stage.steps.filter((step): step is Extract<Step, { kind: K }> => step.kind === kind);
    if (steps.length > 0) {
      return steps[steps.length - 1];
    }
  }
  return undefined;
}
