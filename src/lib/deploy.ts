// placeholder replaced in the cluster-ops change
export async function deploy(..._args: unknown[]): Promise<never> {
  throw new Error('apply is not available yet')
}
