import { dockerfileProblems, isPinnedImage, parseDockerfile } from './dockerfile-rules';

const good = `
ARG NODE_IMAGE=node:20.20.2-bookworm-slim
FROM \${NODE_IMAGE} AS deps
RUN npm ci --omit=dev \\
 --ignore-scripts
FROM \${NODE_IMAGE} AS build
RUN npm ci
FROM \${NODE_IMAGE}
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER 1000:1000
CMD ["node", "dist/main.js"]
`;

describe('Dockerfile rules', () => {
  it('accepts a pinned, non-root, production-only image', () => {
    expect(dockerfileProblems(good)).toEqual([]);
  });

  it('joins continued lines and skips comments', () => {
    expect(parseDockerfile('# c\nRUN a \\\n  # inner\n  b\n').map((i) => [i.keyword, i.args])).toEqual([['RUN', 'a b']]);
  });

  it('knows a pinned image', () => {
    expect(isPinnedImage('node:20.20.2-bookworm-slim')).toBe(true);
    expect(isPinnedImage(`node@sha256:${'a'.repeat(64)}`)).toBe(true);
    expect(isPinnedImage('node:20')).toBe(false);
    expect(isPinnedImage('node:latest')).toBe(false);
    expect(isPinnedImage('node')).toBe(false);
  });

  it('names every broken rule', () => {
    const bad = good
      .replace('node:20.20.2-bookworm-slim', 'node:latest')
      .replace('USER 1000:1000', 'USER root')
      .replace('npm ci --omit=dev', 'npm install')
      .replace('CMD ["node", "dist/main.js"]', 'CMD node dist/main.js')
      .concat('ADD https://example.com/x.tgz /x\n');
    const problems = dockerfileProblems(bad).join('\n');
    expect(problems).toContain('is not pinned');
    expect(problems).toContain('uses latest');
    expect(problems).toContain('USER root is not a numeric non-root user');
    expect(problems).toContain('npm install');
    expect(problems).toContain('without `npm ci --omit=dev`');
    expect(problems).toContain('CMD must be exec form');
    expect(problems).toContain('ADD (use COPY');
  });

  it('refuses a final stage without USER', () => {
    expect(dockerfileProblems(good.replace('USER 1000:1000\n', ''))).toEqual(['the final stage: no USER (runs as root)']);
  });
});
