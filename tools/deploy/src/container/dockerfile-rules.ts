/**
 * hadolint-style rules for deploy/Dockerfile, as code (no Docker engine here to build it). Returns the
 * broken rules; an empty list means the Dockerfile is fit.
 */
export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let buffer = '';
  let start = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (buffer === '' && (line === '' || line.startsWith('#'))) return;
    if (buffer === '') start = index + 1;
    if (line.startsWith('#')) return; // comment inside a continued instruction
    if (line.endsWith('\\')) {
      buffer += `${line.slice(0, -1)} `;
      return;
    }
    buffer += line;
    const [keyword = '', ...rest] = buffer.split(/\s+/);
    instructions.push({ keyword: keyword.toUpperCase(), args: rest.join(' '), line: start });
    buffer = '';
  });
  return instructions;
}

interface Stage {
  name: string | undefined;
  image: string;
  instructions: Instruction[];
}

function stagesOf(instructions: Instruction[]): { args: Map<string, string>; stages: Stage[] } {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const match = instruction.args.match(/^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i);
      stages.push({ image: match?.[1] ?? '', name: match?.[2]?.toLowerCase(), instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [name = '', value = ''] = instruction.args.split('=');
      args.set(name.trim(), value.trim());
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

function expand(value: string, args: Map<string, string>): string {
  return value.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (_, name: string) => args.get(name) ?? '');
}

/** A pinned base image: a digest, or an exact version tag (x.y.z...), never latest. */
export function isPinnedImage(image: string): boolean {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const tag = image.split('/').pop()?.split(':')[1];
  return !!tag && tag !== 'latest' && /^v?\d+\.\d+\.\d+/.test(tag);
}

export function dockerfileProblems(text: string): string[] {
  const instructions = parseDockerfile(text);
  const { args, stages } = stagesOf(instructions);
  const problems: string[] = [];
  const stageNames = new Set(stages.map((s) => s.name).filter(Boolean));
  if (stages.length === 0) return ['no FROM'];

  for (const stage of stages) {
    const image = expand(stage.image, args);
    if (stageNames.has(image.toLowerCase())) continue;
    if (!isPinnedImage(image)) problems.push(`FROM ${stage.image} (${image || 'empty'}) is not pinned to a version tag or digest`);
  }
  for (const i of instructions) {
    if (/(^|[:\s])latest(\s|$)/.test(i.args) || /:latest\b/.test(i.args)) problems.push(`line ${i.line}: uses latest`);
    if (i.keyword === 'ADD') problems.push(`line ${i.line}: ADD (use COPY; never ADD a URL)`);
    if (i.keyword === 'RUN' && /\bnpm\s+(install|i)\b/.test(i.args)) problems.push(`line ${i.line}: npm install (use npm ci against the lockfile)`);
    if ((i.keyword === 'ENV' || i.keyword === 'ARG') && /(PASSWORD|TOKEN|SECRET|KEY)\w*\s*=/.test(i.args)) problems.push(`line ${i.line}: a secret baked into the image`);
    if (i.keyword === 'RUN' && /curl|wget/.test(i.args)) problems.push(`line ${i.line}: downloads at build time`);
  }

  const runnable = [stages.at(-1) as Stage, ...stages.filter((s) => s.name === 'migrator')];
  for (const stage of new Set(runnable)) {
    const label = stage.name ?? 'the final stage';
    const user = stage.instructions.filter((i) => i.keyword === 'USER').at(-1);
    if (!user) problems.push(`${label}: no USER (runs as root)`);
    else if (!/^[1-9]\d*(:[1-9]\d*)?$/.test(user.args)) problems.push(`${label}: USER ${user.args} is not a numeric non-root user (runAsNonRoot needs a number)`);
    const cmd = stage.instructions.filter((i) => i.keyword === 'CMD' || i.keyword === 'ENTRYPOINT').at(-1);
    if (!cmd || !cmd.args.startsWith('[')) problems.push(`${label}: CMD must be exec form (a JSON array) so that node receives SIGTERM`);
  }

  const final = stages.at(-1) as Stage;
  const cmd = final.instructions.filter((i) => i.keyword === 'CMD').at(-1);
  if (cmd && !/^\["node",/.test(cmd.args)) problems.push(`the service CMD must start with node, found ${cmd.args}`);
  // node_modules of the service image: only from a stage that installed production dependencies.
  const modules = final.instructions.filter((i) => i.keyword === 'COPY' && /node_modules/.test(i.args));
  if (modules.length === 0) problems.push('the final stage copies no node_modules');
  for (const copy of modules) {
    const from = copy.args.match(/--from=(\S+)/)?.[1]?.toLowerCase();
    const source = stages.find((s) => s.name === from);
    const ci = source?.instructions.find((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args));
    if (!ci || !/--omit=dev\b/.test(ci.args)) problems.push(`line ${copy.line}: node_modules come from a stage without \`npm ci --omit=dev\``);
  }
  if (final.instructions.some((i) => i.keyword === 'COPY' && !/--from=/.test(i.args))) {
    problems.push('the final stage copies from the build context (only built output and production modules belong in it)');
  }
  return problems;
}
