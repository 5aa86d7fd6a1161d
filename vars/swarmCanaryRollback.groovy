/*
 * Puts a track's stable release back to all traffic and removes the canary (swarm-canary rollback); returns the CLI's JSON result.
 * After a promote it brings back the previous stable release kept at weight 0.
 */

def call(Map config = [:]) {
    return swarmCanaryExecute.trackStep('swarmCanaryRollback', 'rollback', config) // the one body promote and rollback share: vars/swarmCanaryExecute
}
