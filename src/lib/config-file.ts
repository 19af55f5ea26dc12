// The YAML side of kaos's config files, in a module of its own: config.ts runs on every start and
// loads this (and the YAML library) only when a config file exists.
export {parse, parseDocument} from 'yaml'
