// The cache stays in the project, not in a node_modules that several
// checkouts may share.
export default {
  cacheDir: ".vite-cache",
};
