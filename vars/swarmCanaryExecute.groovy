import com.cloudbees.groovy.cps.NonCPS

/*
 * The one runner every swarm-canary step goes through (like Piper's piperExecuteBin):
 * find the CLI on the agent, bind credentials, pass the parameters in an argument file,
 * run the CLI with --output json, and turn its result into a return value or a pipeline error.
 *
 * No Groovy value ever reaches a shell script: every `sh` below is a constant single-quoted script,
 * and values travel through files written with writeFile and through the environment (withEnv).
 */

/**
 * Runs the CLI found in SWARM_CANARY_RUN_JAR (java -jar) or SWARM_CANARY_RUN_EXE, reading its arguments from a file. A
 * command lives seconds and waits on the network: C1 only and the serial collector halve its CPU on a busy agent. No
 * class-data-sharing archive here: unlike the jar, whose checksum is checked before every use, an archive could not be.
 * The JVM's own warnings go to stderr: unified logging writes to stdout, which is the CLI's JSON.
 */
@groovy.transform.Field
static final String RUN_SCRIPT = '''if [ -n "$SWARM_CANARY_RUN_JAR" ]; then
  java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xlog:disable -Xlog:all=warning:stderr -jar "$SWARM_CANARY_RUN_JAR" "@$SWARM_CANARY_ARGS" >"$SWARM_CANARY_OUT"
else
  "$SWARM_CANARY_RUN_EXE" "@$SWARM_CANARY_ARGS" >"$SWARM_CANARY_OUT"
fi'''

@groovy.transform.Field
static final String ON_PATH_SCRIPT = 'command -v swarm-canary >/dev/null 2>&1'

/**
 * Downloads to a partial file first and checks its SHA-256, so neither an interrupted nor a changed download is taken for the
 * CLI. No trace (sh runs with -x: a URL with a user and token in it would be in the log), and a partial file of this shell's
 * own (two parallel branches in one workspace may both download).
 */
@groovy.transform.Field
static final String DOWNLOAD_SCRIPT = 'set +x; curl -fsSL --retry 3 --create-dirs -o "$SWARM_CANARY_RUN_JAR.part.$$" "$SWARM_CANARY_JAR_URL" && ' +
        'printf "%s  %s\\n" "$SWARM_CANARY_JAR_SHA256" "$SWARM_CANARY_RUN_JAR.part.$$" | sha256sum -c --status - && ' +
        'mv -f "$SWARM_CANARY_RUN_JAR.part.$$" "$SWARM_CANARY_RUN_JAR" || { rm -f "$SWARM_CANARY_RUN_JAR.part.$$"; exit 1; }'

/** Is the kept jar the one with SWARM_CANARY_JAR_SHA256 (checked before every use)? */
@groovy.transform.Field
static final String VERIFY_SCRIPT = 'printf "%s  %s\\n" "$SWARM_CANARY_JAR_SHA256" "$SWARM_CANARY_RUN_JAR" | sha256sum -c --status - 2>/dev/null'

/** Every script the runner may give `sh` (tests check that no other reaches it). Qualified: Groovy 2.4 resolves no bare field name in a static initializer. */
@groovy.transform.Field
static final List<String> SCRIPTS = [swarmCanaryExecute.RUN_SCRIPT, swarmCanaryExecute.ON_PATH_SCRIPT, swarmCanaryExecute.DOWNLOAD_SCRIPT,
                                     swarmCanaryExecute.VERIFY_SCRIPT]

@groovy.transform.Field
static final Set<String> PARAMETERS = ['verb', 'args', 'secrets', 'dockerHost', 'dockerCredentialsId', 'okExitCodes', 'registry',
        'registryCredentialsId'] as Set

@groovy.transform.Field
static final Map<Integer, String> HINTS = [
    2: 'bad input: nothing was changed; fix the step parameters and re-run',
    3: 'conflict: the track already has a canary (promote or roll it back first), or someone else changed this same track at the same time (check its status, then re-run the step); nothing of this run was applied. Changes of other teams to other tracks of the edge are re-applied by the CLI, never a conflict',
]

/**
 * swarmCanaryExecute(verb: 'shift', args: ['--app', 'files', '--env', 'webdev', '--weight', '25'],
 *                    dockerHost: 'tcp://manager:2376', dockerCredentialsId: 'swarm-tls',
 *                    secrets: [[name: 'db_password', credentialsId: 'files-db-password'],
 *                              [name: 'tls.key', credentialsId: 'files-tls-key', type: 'file']])
 * returns the CLI's JSON result as a map; any non-zero exit becomes error(...), except those in okExitCodes
 * (e.g. analyze's 1 = fail and 4 = not enough data, which are answers, not errors): then the map gets exitCode.
 */
def call(Map config = [:]) {
    List<String> verb
    List<String> cliArgs
    List<Map> secrets
    try {
        verb = verbOf(config)
        cliArgs = argsOf(config)
        secrets = secretsOf(config)
    } catch (Exception e) {
        error e.message
    }
    String dockerHost = config.dockerHost ?: null
    String dockerCredentialsId = config.dockerCredentialsId ?: null
    if (config.registryCredentialsId && !(config.registry instanceof CharSequence && config.registry ==~ /[A-Za-z0-9.-]+(:[0-9]+)?/)) {
        error "swarmCanaryExecute: registryCredentialsId needs registry, the host[:port] the login is for (e.g. 'registry.example.com'); was '${config.registry}'"
    }
    if (dockerCredentialsId && !dockerHost && !env.DOCKER_HOST) {
        error "swarmCanaryExecute: dockerCredentialsId needs a TLS Docker endpoint: set dockerHost (e.g. 'tcp://manager:2376') or DOCKER_HOST"
    }
    if (!isUnix()) {
        error 'swarmCanaryExecute: swarm-canary runs on Unix agents only (it is started with sh)'
    }

    requireReadJson()
    String workDir = "${pwd(tmp: true)}/swarm-canary"
    Map cli = locateCli(workDir)
    String label = "swarm-canary ${verb.join(' ')}"
    String callDir = "${workDir}/call-${UUID.randomUUID()}"
    String argsFile = "${callDir}/args"
    String outFile = "${callDir}/result.json"

    List<String> runEnv = [
        "SWARM_CANARY_RUN_JAR=${cli.jar ?: ''}",
        "SWARM_CANARY_RUN_EXE=${cli.exe ?: ''}",
        "SWARM_CANARY_ARGS=${argsFile}",
        "SWARM_CANARY_OUT=${outFile}",
        // picocli reads the argument file in the JVM's default charset, which is ASCII under a POSIX locale
        "JAVA_TOOL_OPTIONS=${((env.JAVA_TOOL_OPTIONS ?: '') + ' -Dfile.encoding=UTF-8').trim()}",
    ]
    if (dockerHost) {
        runEnv << "DOCKER_HOST=${dockerHost}"
    }
    if (dockerCredentialsId) {
        runEnv << 'DOCKER_TLS_VERIFY=1'
    }
    String registryCredentialsId = config.registryCredentialsId ?: null
    if (registryCredentialsId) {
        // the login the CLI sends with service create/update (X-Registry-Auth) and image look-ups: by environment, never argv
        runEnv << "SWARM_CANARY_REGISTRY=${config.registry}"
    }

    List bindings = []
    if (dockerCredentialsId) {
        bindings << dockerCert(credentialsId: dockerCredentialsId, variable: 'DOCKER_CERT_PATH')
    }
    if (registryCredentialsId) {
        bindings << usernamePassword(credentialsId: registryCredentialsId, usernameVariable: 'SWARM_CANARY_REGISTRY_USER',
                passwordVariable: 'SWARM_CANARY_REGISTRY_PASSWORD')
    }
    for (Map s in secrets) {   // plain loops around steps: CPS-safe
        bindings << (s.type == 'file' ? file(credentialsId: s.credentialsId, variable: s.variable)
                                      : string(credentialsId: s.credentialsId, variable: s.variable))
    }

    int status
    String output
    try {
        withEnv(runEnv) {
            withCredentials(bindings) {
                // a secret file's path is only known here; a path is not a secret, its content stays in the file
                Map<String, String> secretFiles = [:]
                for (Map s in secrets) {
                    if (s.type == 'file') {
                        secretFiles[s.variable] = env."${s.variable}" // env[...] is not on the sandbox's whitelist
                    }
                }
                writeFile(file: argsFile, encoding: 'UTF-8',
                          text: argsFileText(verb + cliArgs + secretArgs(secrets, secretFiles) + ['--output', 'json']))
                status = sh(script: RUN_SCRIPT, returnStatus: true, label: label)
            }
        }
        output = fileExists(outFile) ? readFile(file: outFile, encoding: 'UTF-8') : ''
    } finally {
        dir(callDir) {
            deleteDir()
        }
    }
    return resultOf(label, status, output, (config.okExitCodes ?: []) as List)
}

/** The parameters of a lifecycle step on one track (swarmCanaryPromote, swarmCanaryRollback). */
@groovy.transform.Field
static final Set<String> TRACK_STEP_PARAMETERS = ['app', 'env', 'edge', 'dockerHost', 'dockerCredentialsId'] as Set

/**
 * swarmCanaryPromote and swarmCanaryRollback: check the track's parameters (with the shared configuration's defaults),
 * run the verb on that track, return the CLI's JSON result.
 */
def trackStep(String step, String verb, Map config) {
    config = swarmCanaryConfig.withDefaults(config, ['dockerHost', 'dockerCredentialsId', 'edge']) // the shared configuration: vars/swarmCanaryConfig
    List<String> args
    try {
        args = trackArgs(step, config)
    } catch (Exception e) {
        error "${step}: ${e.message}"
    }
    return swarmCanaryExecute(verb: verb, args: args, dockerHost: config.dockerHost, dockerCredentialsId: config.dockerCredentialsId)
}

@NonCPS
static List<String> trackArgs(String step, Map config) {
    def unknown = config.keySet().findAll { !(it in TRACK_STEP_PARAMETERS) }
    if (unknown) {
        throw new Exception("unknown parameter(s) ${unknown.sort()}; known: ${TRACK_STEP_PARAMETERS.sort()}")
    }
    ['app', 'env'].each { name ->
        if (!(config[name] instanceof CharSequence) || !config[name].toString().trim()) {
            throw new Exception("'${name}' is required, e.g. ${step}(app: 'files', env: 'webdev')")
        }
    }
    List<String> args = ['--app', config.app.toString(), '--env', config.env.toString()]
    if (config.edge != null) {
        if (!(config.edge instanceof CharSequence) || !config.edge.toString().trim()) {
            throw new Exception("'edge' is the name of the Envoy service, e.g. 'envoy'; was '${config.edge}'")
        }
        args += ['--edge', config.edge.toString()]
    }
    return args
}

private def resultOf(String label, int status, String output, List okExitCodes) {
    def result = output?.trim() ? readJSON(text: output) : null
    if (status != 0 && status in okExitCodes && result instanceof Map && !(result.error instanceof Map)) {
        result.exitCode = status
        return result
    }
    if (status == 0) {
        if (result == null) {
            error "${label}: exited 0 but printed no JSON result; see its messages above"
        }
        return result
    }
    String hint = HINTS[status] ?: 'failed; see its messages above'
    String message = result instanceof Map && result.error instanceof Map ? result.error.message : null
    error(message ? "${label} (exit ${status}, ${hint}): ${message}" : "${label} (exit ${status}, ${hint})")
}

/** Where the CLI is, in the documented order: SWARM_CANARY_CLI, swarm-canary on PATH, SWARM_CANARY_JAR_URL. */
private Map locateCli(String workDir) {
    String configured = env.SWARM_CANARY_CLI
    if (configured) {
        if (!fileExists(configured)) {
            error "swarmCanaryExecute: SWARM_CANARY_CLI is '${configured}', which does not exist on this agent"
        }
        return configured.endsWith('.jar') ? [jar: configured] : [exe: configured]
    }
    if (sh(script: ON_PATH_SCRIPT, returnStatus: true, label: 'swarm-canary on PATH?') == 0) {
        return [exe: 'swarm-canary']
    }
    String url = env.SWARM_CANARY_JAR_URL
    if (url) {
        String sha256 = (env.SWARM_CANARY_JAR_SHA256 ?: '').trim().toLowerCase()
        if (!(sha256 ==~ /[0-9a-f]{64}/)) {
            error 'swarmCanaryExecute: SWARM_CANARY_JAR_URL needs SWARM_CANARY_JAR_SHA256, the SHA-256 of the jar you published ' +
                  '(64 hex digits, e.g. from sha256sum swarm-canary.jar): a downloaded jar is run only if it is that one. Nothing was run.'
        }
        // kept between builds by its checksum, never by its URL, and checked before every use
        String jar = "${workDir}/cli/${sha256}/swarm-canary.jar"
        withEnv(["SWARM_CANARY_RUN_JAR=${jar}", "SWARM_CANARY_JAR_SHA256=${sha256}"]) {
            if (sh(script: VERIFY_SCRIPT, returnStatus: true, label: 'swarm-canary jar checksum') != 0
                    && sh(script: DOWNLOAD_SCRIPT, returnStatus: true, label: 'download swarm-canary') != 0) {
                error 'swarmCanaryExecute: could not download SWARM_CANARY_JAR_URL, or what it served does not have ' +
                      'SWARM_CANARY_JAR_SHA256 (see the lines above). Nothing was run.'
            }
        }
        return [jar: jar]
    }
    error 'swarmCanaryExecute: swarm-canary CLI not found. Set SWARM_CANARY_CLI to the executable or jar on the agent, ' +
          'put swarm-canary on PATH, or set SWARM_CANARY_JAR_URL to download the jar'
}

/** readJSON (Pipeline Utility Steps) reads the CLI's answers: checked before the CLI acts, not after. */
private void requireReadJson() {
    try {
        readJSON(text: '{}')
    } catch (NoSuchMethodError missing) {
        error 'swarmCanaryExecute: the step readJSON is missing: install the Pipeline Utility Steps plugin, which reads the ' +
              "CLI's answers. Nothing was run."
    }
}

/** --secret NAME=env:VAR for secret texts, --secret NAME=file:PATH for secret files (their paths by variable). */
@NonCPS
static List<String> secretArgs(List<Map> secrets, Map<String, String> secretFiles) {
    return secrets.collectMany { s ->
        ['--secret', s.type == 'file' ? "${s.name}=file:${secretFiles[s.variable]}".toString() : "${s.name}=env:${s.variable}".toString()]
    }
}

/** One argument a line, in double quotes, in the form picocli reads from an @file. */
@NonCPS
static String argsFileText(List<String> args) {
    return args.collect { quoteArg(it) }.join('\n') + '\n'
}

/**
 * Quotes one argument for a picocli @file: backslash and double quote escaped by a backslash; newline and
 * carriage return written as \n and \r (a quoted value ends at the end of a line); a leading '@' doubled,
 * because picocli reads an argument starting with '@' as another argument file, and '@@' as a literal '@'.
 */
@NonCPS
static String quoteArg(String arg) {
    String quoted = arg.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n').replace('\r', '\\r')
    return '"' + (quoted.startsWith('@') ? '@' + quoted : quoted) + '"'
}

@NonCPS
private static List<String> verbOf(Map config) {
    def verb = config.verb
    List<String> words = verb instanceof List ? verb.collect { it?.toString() } : (verb?.toString()?.trim()?.split(/\s+/) as List)
    if (!words || words.any { !(it ==~ /[a-z][a-z-]*/) }) {
        throw new Exception("swarmCanaryExecute: verb must be a swarm-canary command such as 'shift' or 'edge ensure', was '${verb}'")
    }
    return words
}

@NonCPS
private static List<String> argsOf(Map config) {
    def unknown = config.keySet().findAll { !(it in PARAMETERS) }
    if (unknown) {
        throw new Exception("swarmCanaryExecute: unknown parameter(s) ${unknown.sort()}; known: ${PARAMETERS.sort()}")
    }
    def args = config.args ?: []
    if (!(args instanceof List) || args.any { it == null }) {
        throw new Exception('swarmCanaryExecute: args must be a list of CLI arguments without nulls')
    }
    return args.collect { it.toString() }
}

@NonCPS
private static List<Map> secretsOf(Map config) {
    def secrets = config.secrets ?: []
    if (!(secrets instanceof List)) {
        throw new Exception('swarmCanaryExecute: secrets must be a list of [name:, credentialsId:, type: string|file]')
    }
    int index = 0
    return secrets.collect { s ->
        if (!(s instanceof Map) || !s.name || !s.credentialsId || !((s.type ?: 'string') in ['string', 'file'])) {
            throw new Exception("swarmCanaryExecute: secret ${s} needs name, credentialsId and type 'string' (default) or 'file'")
        }
        [name: s.name.toString(), credentialsId: s.credentialsId.toString(), type: (s.type ?: 'string').toString(),
         variable: "SWARM_CANARY_SECRET_${index++}".toString()]
    }
}
