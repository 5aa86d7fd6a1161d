package io.swarmcanary.vars

import com.lesfurets.jenkins.unit.BasePipelineTest
import com.lesfurets.jenkins.unit.MethodCall
import com.lesfurets.jenkins.unit.global.lib.SourceRetriever
import groovy.json.JsonOutput
import groovy.json.JsonSlurperClassic
import org.junit.jupiter.api.AfterEach
import org.junit.jupiter.api.BeforeEach

import java.util.function.Predicate

import static com.lesfurets.jenkins.unit.global.lib.LibraryConfiguration.library

/**
 * JenkinsPipelineUnit 1.1 set-up shared by the step tests: this repository is registered as the shared library
 * 'swarm-canary' (vars/ from the repo root), and the agent is faked: a file system in a map, an environment
 * honouring withEnv/withCredentials, and an `sh` that plays the CLI. With realAgent = true, files and `sh`
 * are real instead (bash in a temporary workspace).
 */
abstract class PipelineTestSupport extends BasePipelineTest {
    static final File REPO = new File('.').canonicalFile
    /**
     * How the pipeline runs: 'cps' (CPS-transformed by groovy-cps, as a controller runs it, with the program state
     * serialized at every step call: {@link SerializingCpsHelper}) or 'plain' (JenkinsPipelineUnit's interpreter).
     * The build runs every step test both ways (two surefire executions setting swarmCanary.pipelineMode).
     */
    static final boolean CPS = System.getProperty('swarmCanary.pipelineMode', 'plain') == 'cps'
    static final File PIPELINES = new File(REPO, 'target/test-pipelines')

    /** The agent's environment as the steps see it through `env`. */
    Map<String, String> env = [:]
    /** The fake agent's files, by absolute path. */
    Map<String, String> files = [:]
    /** Every `sh` call: its arguments and the environment it ran with. */
    List<Map> shCalls = []
    /** Credentials bound by withCredentials: [kind:, credentialsId:, variable:]. */
    List<Map> boundCredentials = []
    /** Values the fake credentials store holds for string credentials, by id. */
    Map<String, String> secretValues = [:]

    /**
     * What the fake CLI prints on stdout; null (the default): the real CLI's recorded answer for the verb it runs
     * ({@link #recordedAnswer}). cliRuns records the arguments file it was given.
     */
    String cliStdout = null
    /** When set: what the fake CLI prints for these arguments (its verb first), instead of cliStdout. */
    Closure<String> cliAnswer
    int cliExit = 0
    boolean cliOnPath = false
    List<String> cliRuns = []

    /** The block steps the pipeline is inside right now, outermost first, e.g. ['lock', 'node']. */
    List<String> blocks = []
    /** Every input call: its arguments and the blocks around it. */
    List<Map> inputCalls = []
    /** What the person at an input does: return the approver's id (or a map), or throw as Jenkins does on abort. */
    Closure inputAnswer = { Map m -> 'alice' }
    /** What happened, in order: 'cli <args file>' for each CLI run, 'input <id>' for each gate, 'milestone'. */
    List<String> timeline = []

    /**
     * A closure as an AssertJ predicate. Not `{ } as Predicate`: Groovy 2.4's proxy sends every interface method to
     * the closure, default ones too, so AssertJ's predicate.negate() would call it with no argument.
     */
    static Predicate<Object> matching(Closure<?> condition) {
        return new Predicate<Object>() {
            @Override
            boolean test(Object value) { return condition.call(value) as boolean }
        }
    }

    boolean realAgent = false
    File workspace
    protected String currentDir

    /**
     * A pool of agents, as on a Jenkins with several: with agentPool on, each `node` lands on the next agent
     * (agent-1, agent-2, agent-3, agent-1 ...), each with its own workspace (/ws/agent-N) and files; only absolute
     * paths outside the workspaces (a CLI installed on every agent, e.g. /opt/swarm-canary) are on all of them.
     * Outside any node there is no workspace: file steps and sh fail, as in Jenkins.
     */
    boolean agentPool = false
    /** Lockable resources other builds hold. */
    Set<String> lockedResources = [] as Set
    /** What a download of SWARM_CANARY_JAR_URL serves (default: 'a jar from <url>'). */
    String downloadServes
    /** Stashed files by stash name: relative path to content. */
    Map<String, Map<String, String>> stashes = [:]
    static final List<String> POOL = ['agent-1', 'agent-2', 'agent-3']
    protected int nodeCalls = 0
    /** The agent the pipeline is on right now (null outside any node when agentPool is on). */
    protected String agent = null

    @BeforeEach
    void setUpPipeline() {
        PIPELINES.mkdirs()
        new File(PIPELINES, 'callStep.groovy').text = 'return this."$stepName"(stepConfig)\n'
        // a closure parameter as a Jenkinsfile writes it: CPS code of the pipeline script (serializable), running sh
        new File(PIPELINES, 'callStepWithSh.groovy').text = 'return this."$stepName"(stepConfig + [(bodyKey): { sh bodyScript }])\n'
        scriptRoots = [PIPELINES.path + '/'] as String[]
        scriptExtension = 'groovy'
        if (CPS) {
            helper = new SerializingCpsHelper()
        }
        super.setUp()
        helper.registerSharedLibrary(library('swarm-canary')
                .retriever({ String repository, String version, String target -> [REPO.toURI().toURL()] } as SourceRetriever)
                .targetPath(REPO.path).defaultVersion('main').implicit(true).allowOverride(false).build())
        binding.setVariable('env', env)

        helper.registerAllowedMethod('error', [String], { String message -> throw new StepFailure(message) })
        helper.registerAllowedMethod('isUnix', [], { -> true })
        helper.registerAllowedMethod('pwd', [Map], { Map m -> m.tmp ? workspacePath() + '@tmp' : workspacePath() })
        helper.registerAllowedMethod('pwd', [], { -> workspacePath() })
        helper.registerAllowedMethod('writeFile', [Map], { Map m -> writeAgentFile(agentPath(m.file), m.text) })
        helper.registerAllowedMethod('readFile', [Map], { Map m -> readAgentFile(agentPath(m.file)) })
        helper.registerAllowedMethod('readFile', [String], { String f -> readAgentFile(agentPath(f)) })
        helper.registerAllowedMethod('fileExists', [String], { String f -> agentFileExists(agentPath(f)) })
        // plain maps and lists, serializable as Jenkins' JSONObject is (JsonSlurper's LazyMap is not)
        helper.registerAllowedMethod('readJSON', [Map], { Map m -> new JsonSlurperClassic().parseText(m.text ?: readAgentFile(agentPath(m.file))) })
        helper.registerAllowedMethod('dir', [String, Closure], { String d, Closure body ->
            String saved = currentDir
            currentDir = d
            try { runBody(body) } finally { currentDir = saved }
        })
        helper.registerAllowedMethod('deleteDir', [], { -> deleteAgentDir(currentDir) })
        helper.registerAllowedMethod('withEnv', [List, Closure], { List entries, Closure body ->
            withOverrides(entries.collectEntries { String e -> int i = e.indexOf('='); [(e.substring(0, i)): e.substring(i + 1)] }, body)
        })
        helper.registerAllowedMethod('string', [Map], { Map m -> [kind: 'string'] + m })
        helper.registerAllowedMethod('file', [Map], { Map m -> [kind: 'file'] + m })
        helper.registerAllowedMethod('dockerCert', [Map], { Map m -> [kind: 'dockerCert'] + m })
        helper.registerAllowedMethod('usernamePassword', [Map], { Map m -> [kind: 'usernamePassword'] + m })
        helper.registerAllowedMethod('withCredentials', [List, Closure], { List bindings, Closure body ->
            Map<String, String> values = bindings.collectEntries { Map b ->
                boundCredentials << b
                b.kind == 'usernamePassword'
                        ? [(b.usernameVariable): 'user-of-' + b.credentialsId, (b.passwordVariable): secretValues[b.credentialsId] ?: 'password-of-' + b.credentialsId]
                        : [(b.variable): credentialValue(b)]
            }
            withOverrides(values, body)
        })
        // agents, gates and the track lock (node, input, timeout; lockable-resources, pipeline-milestone-step)
        helper.registerAllowedMethod('node', [String, Closure], { String label, Closure body -> onNode(label, body) })
        helper.registerAllowedMethod('node', [Closure], { Closure body -> onNode(null, body) })
        // a resource another build holds: with skipIfLocked the body is skipped, as Lockable Resources does
        helper.registerAllowedMethod('lock', [Map, Closure], { Map m, Closure body ->
            m.skipIfLocked && m.resource in lockedResources ? null : inBlock('lock', body)
        })
        helper.registerAllowedMethod('lock', [String, Closure], { String resource, Closure body -> inBlock('lock', body) })
        helper.registerAllowedMethod('timeout', [Map, Closure], { Map m, Closure body -> inBlock('timeout', body) })
        helper.registerAllowedMethod('milestone', [Map], { Map m -> timeline << 'milestone' })
        helper.registerAllowedMethod('milestone', [Integer], { Integer ordinal -> timeline << 'milestone' })
        helper.registerAllowedMethod('input', [Map], { Map m ->
            inputCalls << [args: m, blocks: new ArrayList(blocks)]
            timeline << "input ${m.id}".toString()
            return inputAnswer(m)
        })
        // stash/unstash: files carried from one agent's workspace to another's (by exact name: includes is a comma list)
        helper.registerAllowedMethod('stash', [Map], { Map m ->
            stashes[m.name] = (m.includes ?: '').split(',')*.trim().findAll { agentFileExists(agentPath(it)) }
                    .collectEntries { [(it): readAgentFile(agentPath(it))] }
        })
        helper.registerAllowedMethod('unstash', [String], { String name ->
            if (!stashes.containsKey(name)) {
                throw new StepFailure("No such saved stash '${name}'")
            }
            stashes[name].each { path, text -> writeAgentFile(agentPath(path), text) }
        })
        helper.registerAllowedMethod('sh', [Map], { Map m -> runSh(m) })
        helper.registerAllowedMethod('sh', [String], { String s -> runSh([script: s]) })
    }

    /** In CPS mode: no program state failed to serialize, even where a catch in vars/ swallowed the failure. */
    @AfterEach
    void programStateWasSerializable() {
        if (CPS) {
            assert ((SerializingCpsHelper) helper).serializationFailures.isEmpty()
        }
    }

    /** A step's body, run to its end: in CPS mode the closure is CPS code, run by the helper's interpreter loop. */
    protected def runBody(Closure body) {
        return CPS ? helper.callClosure(body) : body()
    }

    /** Runs one library step the way a Jenkinsfile does, e.g. runStep('envoyShiftTraffic', [app: 'files', ...]). */
    def runStep(String name, Map config) {
        binding.setVariable('stepName', name)
        binding.setVariable('stepConfig', config)
        return runScript('callStep.groovy')
    }

    /** Runs a step with a closure parameter whose body is sh(script), e.g. verify: { sh './smoke-test.sh' }. */
    def runStepWithSh(String name, Map config, String key, String script) {
        binding.setVariable('bodyKey', key)
        binding.setVariable('bodyScript', script)
        binding.setVariable('stepName', name)
        binding.setVariable('stepConfig', config)
        return runScript('callStepWithSh.groovy')
    }

    /** The library's global variable (the loaded vars/NAME.groovy script), to call its helper methods. */
    def libraryVar(String name) {
        binding.setVariable('stepName', 'isUnix')
        binding.setVariable('stepConfig', [:])
        loadScript('callStep.groovy')
        return binding.getVariable(name)
    }

    List<MethodCall> calls(String methodName) {
        helper.callStack.findAll { it.methodName == methodName }
    }

    /** What the steps echoed, in order (the build log as the steps write it). */
    List<String> log() {
        calls('echo').collect { it.args[0].toString() }
    }

    List<String> shScripts() {
        shCalls.collect { it.script }
    }

    /**
     * A JSON answer the real CLI printed, checked in under src/test/resources/cli-json/: made by the real commands in
     * io.swarmcanary.cli.CliAnswersTest and NextCommandTest, which fail when the CLI's JSON changes (CliJsonFixtures).
     */
    static String cliJson(String name) {
        new File(REPO, "src/test/resources/cli-json/${name}.json").getText('UTF-8')
    }

    /** A recorded answer as the steps get it from readJSON: plain maps and lists. */
    static Map cliAnswerOf(String name) {
        new JsonSlurperClassic().parseText(cliJson(name)) as Map
    }

    /**
     * A variant of a recorded answer, for a situation the recordings do not have: the recorded answer, parsed, changed
     * by {@code change} (the caller says why), printed again. Never a hand-written answer: the fields stay the CLI's.
     */
    static String cliJsonWith(String name, Closure change) {
        Map answer = cliAnswerOf(name)
        change(answer)
        JsonOutput.toJson(answer)
    }

    /** The CLI's error answer of a kind ('bad-input', 'conflict', 'failed'), with the message a test looks for. */
    static String cliError(String kind, String message) {
        cliJsonWith("error-${kind}") { Map answer -> answer.error.message = message }
    }

    /** The recorded answer each verb gives when a test does not set one: its common, successful case. */
    static final Map<String, String> RECORDED_ANSWERS = [deploy: 'deploy-canary', next: 'next-canary-at-0', shift: 'shift-25',
            promote: 'promote', rollback: 'rollback', analyze: 'analyze-pass', status: 'status', prune: 'prune',
            report: 'report', 'edge ensure': 'edge-ensure', route: 'route-ab', mirror: 'mirror-10']

    /** What the real CLI answered to this verb (prune --dry-run: its plan); a verb without a recording fails the test. */
    static String recordedAnswer(List<String> args) {
        String verb = args[0] == 'edge' ? 'edge ensure' : args[0]
        String name = verb == 'prune' && args.contains('--dry-run') ? 'prune-dry-run' : RECORDED_ANSWERS[verb]
        if (name == null) {
            // (Object): Groovy 2.4 would pick AssertionError's private String constructor for a GString
            throw new AssertionError((Object) "no recorded answer of 'swarm-canary ${verb}': record one in io.swarmcanary.cli.CliAnswersTest")
        }
        return cliJson(name)
    }

    static String sha256(String text) {
        java.security.MessageDigest.getInstance('SHA-256').digest(text.getBytes('UTF-8')).encodeHex().toString()
    }

    /** The arguments an @file holds, as picocli reads them back (the runner writes one quoted argument a line). */
    static List<String> argsOfFile(String text) {
        text.readLines().collect { line ->
            assert line.startsWith('"') && line.endsWith('"')
            line[1..-2].replaceAll(/\\(.)/) { all, c -> c == 'n' ? '\n' : c == 'r' ? '\r' : c }.replaceFirst(/^@@/, '@')
        }
    }

    // ---- the fake (or real) agent ----

    String workspacePath() {
        if (realAgent) {
            return workspace.path
        }
        if (agentPool) {
            if (agent == null) {
                throw new IllegalStateException('Required context class hudson.FilePath is missing: ' +
                        'a file step or sh outside any node (Perhaps you forgot to surround the code with a step that provides this, such as: node)')
            }
            return '/ws/' + agent
        }
        return '/ws'
    }

    /** On the agent pool, a step's relative path is in the current agent's workspace (as Jenkins resolves it). */
    String agentPath(String path) {
        if (!agentPool) {
            return path
        }
        String ws = workspacePath() // outside any node: fails, as in Jenkins
        return path.startsWith('/') ? path : ws + '/' + path
    }

    protected String credentialValue(Map b) {
        switch (b.kind) {
            case 'string': return secretValues[b.credentialsId] ?: 'secret-of-' + b.credentialsId
            case 'file':
                String path = workspacePath() + '@tmp/secretFiles/' + b.credentialsId + '/content'
                writeAgentFile(path, secretValues[b.credentialsId] ?: 'file-secret-of-' + b.credentialsId)
                return path
            case 'dockerCert': return workspacePath() + '@tmp/docker-certs/' + b.credentialsId
            default: throw new IllegalArgumentException("unknown credential binding ${b}")
        }
    }

    protected def withOverrides(Map<String, String> overrides, Closure body) {
        Map<String, String> saved = overrides.keySet().collectEntries { [(it): env[it]] }
        env.putAll(overrides)
        try {
            return runBody(body)
        } finally {
            saved.each { k, v -> if (v == null) env.remove(k) else env[k] = v }
        }
    }

    protected def inBlock(String name, Closure body) {
        blocks << name
        try {
            return runBody(body)
        } finally {
            blocks.remove(blocks.size() - 1)
        }
    }

    /** A node sets NODE_NAME, as Jenkins does; steps tell from it that they run on an agent. */
    protected def onNode(String label, Closure body) {
        String saved = agent
        agent = agentPool ? POOL[nodeCalls++ % POOL.size()] : 'agent-1'
        try {
            return inBlock(label ? "node(${label})".toString() : 'node') {
                withOverrides([NODE_NAME: agent], body)
            }
        } finally {
            agent = saved
        }
    }

    protected def runSh(Map m) {
        workspacePath() // on the agent pool: sh needs a node
        Map call = [script: m.script, returnStatus: m.returnStatus, returnStdout: m.returnStdout, label: m.label, env: new LinkedHashMap(env),
                    blocks: new ArrayList(blocks)]
        shCalls << call
        if (m.script.contains('"@$SWARM_CANARY_ARGS"')) {
            timeline << 'cli ' + (argsOfFile(readAgentFile(env.SWARM_CANARY_ARGS)) - ['--output', 'json']).join(' ')
        }
        int status = realAgent ? realSh(m.script) : fakeSh(m.script)
        if (m.returnStatus) {
            return status
        }
        if (status != 0) {
            throw new StepFailure("script returned exit code ${status}")
        }
        return null
    }

    /** The CLI as the tests script it: records the arguments file, writes cliStdout, returns cliExit. */
    protected int fakeSh(String script) {
        if (script.startsWith('command -v swarm-canary')) {
            return cliOnPath ? 0 : 1
        }
        if (script.startsWith('set +x; curl ')) {   // download, then sha256sum -c, then mv: nothing is kept if the checksum differs
            String served = downloadServes ?: 'a jar from ' + env.SWARM_CANARY_JAR_URL
            if (sha256(served) != env.SWARM_CANARY_JAR_SHA256) {
                return 1
            }
            writeAgentFile(env.SWARM_CANARY_RUN_JAR, served)
            return 0
        }
        if (script.startsWith('printf ')) {   // sha256sum -c of the kept jar
            String jar = env.SWARM_CANARY_RUN_JAR
            return agentFileExists(jar) && sha256(readAgentFile(jar)) == env.SWARM_CANARY_JAR_SHA256 ? 0 : 1
        }
        if (script.contains('"@$SWARM_CANARY_ARGS"')) {
            cliRuns << readAgentFile(env.SWARM_CANARY_ARGS)
            List<String> args = argsOfFile(readAgentFile(env.SWARM_CANARY_ARGS))
            writeAgentFile(env.SWARM_CANARY_OUT, cliAnswer ? cliAnswer(args) : cliStdout != null ? cliStdout : recordedAnswer(args))
            return cliExit
        }
        throw new AssertionError("unexpected sh script: ${script}")
    }

    protected int realSh(String script) {
        ProcessBuilder pb = new ProcessBuilder('bash', '-c', script).directory(workspace).redirectErrorStream(false)
        pb.environment().putAll(env.findAll { k, v -> v != null })
        Process p = pb.start()
        def err = new StringBuilder()
        p.consumeProcessErrorStream(err)
        p.inputStream.text
        int status = p.waitFor()
        System.err.print(err)
        return status
    }

    /** As on a Jenkins agent: a relative path is in the workspace. */
    File agentFile(String path) {
        File f = new File(path)
        f.absolute ? f : new File(workspace, path)
    }

    void writeAgentFile(String path, String text) {
        if (realAgent) {
            File f = agentFile(path)
            f.parentFile.mkdirs()
            f.setText(text, 'UTF-8')
        } else {
            files[path] = text
        }
    }

    String readAgentFile(String path) {
        if (realAgent) {
            return agentFile(path).getText('UTF-8')
        }
        if (!files.containsKey(path)) {
            throw new FileNotFoundException(path)
        }
        return files[path]
    }

    boolean agentFileExists(String path) {
        realAgent ? agentFile(path).exists() : files.containsKey(path)
    }

    void deleteAgentDir(String dir) {
        if (realAgent) {
            new File(dir).deleteDir()
        } else {
            files.keySet().removeIf { it == dir || it.startsWith(dir + '/') }
        }
    }
}
