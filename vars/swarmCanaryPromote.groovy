/*
 * Makes a track's canary its stable release (swarm-canary promote) and returns the CLI's JSON result.
 */

def call(Map config = [:]) {
    return swarmCanaryExecute.trackStep('swarmCanaryPromote', 'promote', config) // the one body promote and rollback share: vars/swarmCanaryExecute
}
