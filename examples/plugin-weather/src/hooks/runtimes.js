// The kaos:runtimes hook: kaos calls it whenever it builds its runtime registry and merges what it
// returns over the built-in registry, user files and the cluster ConfigMap (plugins win unless the
// user pins a name with $KAOS_PIN_RUNTIMES). Keep it cheap and free of I/O: it runs on every
// command that reads the registry.
//
// Entries use the registry format of kaos's registry/runtimes.yaml (`kaos system runtimes --help`).

/** @type {import('kaos-cli').RuntimesHook} */
const hook = async function () {
  return {
    runtimes: {
      weather: {
        type: 'python',
        image: 'ghcr.io/kaos-tools/weather-mcp:0.1.0',
        description: 'Weather forecasts and current conditions as MCP tools (needs WEATHER_API_KEY)',
        transport: 'http',
        port: 8000,
        path: '/mcp',
        healthPath: '/healthz',
        requiredEnv: ['WEATHER_API_KEY'],
        env: {WEATHER_UNITS: 'metric'},
        source: 'https://github.com/kaos-tools/kaos/tree/main/examples/plugin-weather',
      },
    },
  }
}

export default hook
