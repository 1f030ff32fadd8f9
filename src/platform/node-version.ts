/** The Node.js line the platform is built and tested on (ADR 0009): the project pins it with the npm `node` package. */
export const SUPPORTED_NODE_MAJOR = 24;

export interface NodeVersionCheck {
  version: string;
  supported: boolean;
  message: string;
}

/** One line for the start-up log: which Node runs RVR, and what to do if it is not the supported line. */
export function checkNodeVersion(version: string = process.version): NodeVersionCheck {
  const major = Number(/^v(\d+)\./.exec(version)?.[1]);
  const supported = major === SUPPORTED_NODE_MAJOR;
  return {
    version,
    supported,
    message: supported
      ? `running on Node.js ${version}`
      : `running on Node.js ${version}, but RVR is supported on Node.js ${SUPPORTED_NODE_MAJOR} LTS only: start it with \`npm start\` (which uses the project's pinned Node.js from node_modules/.bin) or install Node.js ${SUPPORTED_NODE_MAJOR}`,
  };
}
