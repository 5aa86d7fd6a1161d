import com.cloudbees.groovy.cps.NonCPS

/*
 * Cleans the cluster (swarm-canary prune): old releases, unused secrets and configs, and with images: true the images
 * of the removed releases on every node. Returns the CLI's JSON result: plan.remove / plan.keep (what, why, size),
 * and unless dryRun: result.removed / skipped / failed / nodes / reclaimedBytes. A partial failure (exit 1) sets the build
 * to FAILURE and still returns the JSON (with exitCode: 1), so its details can be archived.
 * Parameters are checked here first, so a typo fails the build before anything touches the cluster.
 */

@groovy.transform.Field
static final Set<String> PARAMETERS = ['keep', 'olderThan', 'dryRun', 'images', 'imageLabel', 'pruneImage', 'app', 'env', 'edge',
                                       'dockerHost', 'dockerCredentialsId'] as Set

def call(Map config = [:]) {
    config = swarmCanaryConfig.withDefaults(config, ['dockerHost', 'dockerCredentialsId']) // the shared configuration: vars/swarmCanaryConfig
    List<String> args
    try {
        args = pruneArgs(config)
    } catch (Exception e) {
        error "swarmPrune: ${e.message}"
    }
    // exit 1 with the full JSON: some removals or nodes failed; the answer keeps what was removed and what failed
    def answer = swarmCanaryExecute(verb: 'prune', args: args, okExitCodes: [1],
            dockerHost: config.dockerHost, dockerCredentialsId: config.dockerCredentialsId)
    if (answer.exitCode == 1) {
        echo "swarmPrune: partly failed: ${whatFailed(answer)}"
        // the build fails, but the step returns the details, so the pipeline can archive them (examples/Jenkinsfile.prune)
        currentBuild.result = 'FAILURE'
    }
    return answer
}

/** The failed removals in words (closures over the answer stay out of CPS code). */
@NonCPS
static String whatFailed(Map answer) {
    List failed = answer.result?.failed ?: []
    return failed ? "${failed.size()} removal(s) failed: " + failed.collect { "${it.kind} ${it.name} (${it.error})" }.join(', ')
                  : 'a node did not finish its clean-up; see result.nodes'
}

/** The CLI arguments for prune; an Exception says what is wrong with the parameters. */
@NonCPS
static List<String> pruneArgs(Map config) {
    def unknown = config.keySet().findAll { !(it in PARAMETERS) }
    if (unknown) {
        throw new Exception("unknown parameter(s) ${unknown.sort()}; known: ${PARAMETERS.sort()}")
    }
    List<String> args = []
    if (config.keep != null) {
        def keep = config.keep
        boolean whole = keep instanceof Integer || keep instanceof Long || (keep instanceof CharSequence && keep.toString().trim() ==~ /\d{1,6}/)
        if (!whole || (keep as long) < 0) {
            throw new Exception("'keep' is how many releases per track to keep besides the live ones, a whole number 0 or more; was '${keep}'")
        }
        args += ['--keep', keep.toString().trim()]
    }
    if (config.olderThan != null) {
        String olderThan = config.olderThan.toString().trim()
        if (!(olderThan ==~ /(\d+(ms|s|m|h|d))+|\d+/)) {
            throw new Exception("'olderThan' is a duration such as '24h', '90m' or '2d'; was '${config.olderThan}'")
        }
        args += ['--older-than', olderThan]
    }
    boolean hasApp = config.app?.toString()?.trim()
    boolean hasEnv = config.env?.toString()?.trim()
    if (hasApp != hasEnv) {
        throw new Exception("'app' and 'env' go together: give both to prune one track, or neither for all tracks")
    }
    if (hasApp) {
        args += ['--app', config.app.toString(), '--env', config.env.toString()]
    }
    ['edge', 'imageLabel', 'pruneImage'].each { name ->
        if (config[name] != null) {
            if (!(config[name] instanceof CharSequence) || !config[name].toString().trim()) {
                throw new Exception("'${name}' must be a non-empty string; was '${config[name]}'")
            }
        }
    }
    if (config.edge != null) {
        args += ['--edge', config.edge.toString()]
    }
    ['dryRun', 'images'].each { name ->
        if (config[name] != null && !(config[name] instanceof Boolean)) {
            throw new Exception("'${name}' is true or false; was '${config[name]}'")
        }
    }
    if ((config.imageLabel != null || config.pruneImage != null) && config.images != true) {
        throw new Exception("'imageLabel' and 'pruneImage' only apply with images: true")
    }
    if (config.images == true) {
        args += ['--images']
        if (config.pruneImage != null) {
            args += ['--prune-image', config.pruneImage.toString()]
        }
        if (config.imageLabel != null) {
            args += ['--image-label', config.imageLabel.toString()]
        }
    }
    if (config.dryRun == true) {
        args += ['--dry-run']
    }
    return args
}
