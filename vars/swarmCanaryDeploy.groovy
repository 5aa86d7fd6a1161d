import com.cloudbees.groovy.cps.NonCPS

/*
 * The whole canary lifecycle of one release: deploy, then for each weight shift and ask for approval, then promote.
 * Any abort, timeout, rejection or failure rolls the track back and fails the build saying what happened.
 *
 * Call it OUTSIDE any node: it opens node(nodeLabel) itself for each CLI call and waits for approvals
 * between them, so no executor is held while people decide (the way Piper's stages allocate their own nodes).
 */

@groovy.transform.Field
static final Set<String> PARAMETERS = ['app', 'env', 'version', 'image', 'secrets', 'weights', 'approval', 'submitter',
        'approvalTimeout', 'replicas', 'port', 'domains', 'networks', 'envVars', 'healthCmd', 'healthStartPeriod',
        'constraints', 'deployTimeout', 'edge', 'dockerHost', 'dockerCredentialsId', 'replaceCanary', 'imageCheck', 'compose', 'composeStash', 'service', 'stack', 'nodeLabel',
        'analysis', 'milestone', 'agentTimeout', 'registry', 'registryCredentialsId', 'verify', 'strategy', 'match', 'mirrorPercent',
        'sticky', 'stickyCookie', 'stickyTtl'] as Set

/**
 * canary: by weight only; ab: an audience (match) reaches the canary first; mirror: a share of the traffic is copied to it;
 * bluegreen: tested at 0% (verify, mirrored traffic), one approval, then all traffic in one shift.
 */
@groovy.transform.Field
static final List<String> STRATEGIES = Collections.unmodifiableList(['canary', 'ab', 'mirror', 'bluegreen'])

@groovy.transform.Field
static final List<Integer> DEFAULT_WEIGHTS = Collections.unmodifiableList([5, 25, 50, 100])

@groovy.transform.Field
static final Map DEFAULT_APPROVAL_TIMEOUT = Collections.unmodifiableMap([time: 1, unit: 'HOURS'])

/** The input parameter that records who approved a gate. */
@groovy.transform.Field
static final String APPROVER = 'approver'

/**
 * swarmCanaryDeploy(app: 'files', env: 'webdev', version: '1.0.10', image: 'registry/files:1.0.10',
 *                   domains: ['files.webdev.example.com'], secrets: [[name: 'db_password', credentialsId: 'files-db']],
 *                   weights: [5, 25, 50, 100], submitter: 'release-managers', approvalTimeout: [time: 2, unit: 'HOURS'])
 * returns [track:, version:, service:, outcome: 'promoted' | 'deployed', weights:, approvals: [[gate:, weight:, approver:]], ...].
 */
def call(Map config = [:]) {
    config = swarmCanaryConfig.withDefaults(config, ['dockerHost', 'dockerCredentialsId', 'edge', 'nodeLabel'])
    Map plan
    try {
        plan = planOf(config)
    } catch (Exception e) {
        error "swarmCanaryDeploy: ${e.message}"
    }
    plan.insideNode = env.NODE_NAME != null
    if (plan.compose && !plan.insideNode && !plan.composeStash) {
        error "swarmCanaryDeploy: compose: '${plan.compose}' is a file in a workspace, but the step was called outside node and runs " +
              "the CLI in node(nodeLabel), which may be another agent or workspace. Stash the compose file (and its .env) where you " +
              "checked it out, e.g. stash(name: 'compose', includes: '${plan.compose},.env', allowEmpty: true), and give " +
              "composeStash: 'compose'. Nothing was deployed."
    }
    if (plan.insideNode && plan.approval) {
        error "swarmCanaryDeploy: called inside node('${env.NODE_NAME}'): its approval gates would hold that executor while " +
              'people decide. Call it outside node (in a declarative pipeline: agent none, and a stage without agent); ' +
              'it opens node(nodeLabel) itself for the CLI work. Nothing was deployed.'
    }
    Map result
    boolean locked = false
    Map lockArgs = [resource: plan.lockResource, inversePrecedence: true]
    if (plan.insideNode) {
        lockArgs.skipIfLocked = true // waiting for the track inside a node would hold its executor: take the lock only if it is free
    }
    lock(lockArgs) {
        locked = true
        if (plan.milestone) {
            passMilestone(plan)
        }
        result = lifecycle(plan)
    }
    if (!locked) {
        error "swarmCanaryDeploy: ${plan.track} is locked by another build, and called inside node('${env.NODE_NAME}') the step " +
              'does not wait for it (that would hold this executor). Call it outside node to wait for the track, or re-run later. ' +
              'Nothing was deployed.'
    }
    if (result.outcome == 'unrouted') {
        error "swarmCanaryDeploy: ${plan.version} of ${plan.track} was deployed, but nothing routes to it: ${result.deploy.routing}. " +
              'Nothing was shifted. Create the edge or give domains, then re-run: the deploy converges on the release that is there.'
    }
    return result
}

/**
 * The newest build waiting for this track goes first; older ones still waiting are aborted here, before they deploy.
 * Jenkins refuses a milestone inside parallel, and a step cannot know it is in one: the error names the parameter.
 */
private void passMilestone(Map plan) {
    try {
        milestone(label: "swarm-canary ${plan.track}")
    } catch (Exception e) {
        if (isInterruption(e)) {
            throw e // a newer build passed the milestone: this one ends here, ABORTED
        }
        error "swarmCanaryDeploy: the milestone step failed (${e.message}). Inside parallel branches Jenkins does not allow a " +
              "milestone: give milestone: false there (the lock ${plan.lockResource} still keeps builds apart, but older waiting " +
              'builds are then not aborted). Nothing was deployed.'
    }
}

/**
 * deploy, then what `swarm-canary next` says is left ((gate, shift)*, promote), rolling back on any failure once this
 * build's release may be on the edge. Which gates, shifts and resume point the CLI decides; this step only carries them
 * out with what only Jenkins has: input, timeout, node, archiving.
 */
private Map lifecycle(Map plan) {
    Map result = [track: plan.track, version: plan.version, approvals: [], analyses: []]
    String doing = "deploying ${plan.version}"
    boolean deployed = false
    try {
        Map answers = onAgent(plan) {
            if (plan.composeStash) {
                unstash(plan.composeStash) // this node may be another agent or workspace than the one the files were checked out in
            }
            def deploy = swarmCanaryExecute(verb: 'deploy', args: plan.deployArgs, secrets: plan.secrets, registry: plan.registry,
                    registryCredentialsId: plan.registryCredentialsId,
                    dockerHost: plan.target.dockerHost, dockerCredentialsId: plan.target.dockerCredentialsId)
            [deploy: deploy, next: nextSteps(plan)] // same node: what is left for this release, read right after its deploy
        }
        deployed = true
        result.service = answers.deploy.service
        result.deploy = answers.deploy
        List actions = answers.next.actions
        String first = actions[0].action
        if (first == 'unrouted') {
            result.outcome = 'unrouted'
            return result
        }
        if (first == 'done') {
            echo "swarmCanaryDeploy: ${plan.version}: ${actions[0].reason}"
            if (plan.verify) {
                echo "swarmCanaryDeploy: verify was not run: ${plan.version} is not a canary (nothing to verify before it takes traffic)"
            }
            result.outcome = 'deployed'
            result.weights = answers.deploy.weights
            return result
        }
        if (first == 'deploy') {
            error "swarmCanaryDeploy: ${plan.version} was deployed, but the track now says: ${actions[0].reason}"
        }
        if (plan.verify) { // before any audience, mirror or weight reaches it
            doing = "verifying ${plan.version} through the edge before it takes traffic"
            onAgent(plan) { verifyCanary(plan) }
        }
        // mirroring tests a canary that has no traffic of its own; once it has weight, copies would double its requests
        boolean mirroring = plan.mirrorPercent != null && (answers.next.weight ?: 0) == 0
        if (plan.strategy == 'bluegreen') {
            if (mirroring) {
                doing = "mirroring ${plan.mirrorPercent}% of the traffic to ${plan.version}"
                result.canaryTraffic = changeTraffic(plan, [mirrorPercent: plan.mirrorPercent])
                if (plan.analysisArgs) { // judged on the copies before any user reaches it; a fail is rolled back by the CLI
                    doing = "analysing ${plan.version} on mirrored traffic"
                    Map verdict = analyse(plan, 0, ['--traffic', 'mirrored'])
                    result.analyses << verdict
                    if (verdict.verdict == 'fail') {
                        result.outcome = 'rolled back by analysis'
                        writeReport(plan, result)
                        error "swarmCanaryDeploy: ${plan.version} of ${plan.track} failed analysis on mirrored traffic, before any " +
                              "user reached it: ${verdict.reason}; rolled back automatically: the stable release takes all traffic"
                    }
                }
            }
            // the one approval, before the switch (also for a canary someone left part way); a re-run that finds the
            // switch made goes on to the promote
            int now = (answers.next.weight ?: 0) as int
            if (plan.approval && now < 100) {
                doing = "at the blue/green gate '${gateId(plan.app, plan.env, now)}'"
                result.approvals << gate(plan, now, 100)
            }
        } else if (plan.strategy == 'ab' || mirroring) {
            // inside the try: a failure here rolls the canary back like any other
            doing = plan.strategy == 'ab' ? "routing ${plan.match.join(' AND ')} to ${plan.version}"
                    : "mirroring ${plan.mirrorPercent}% of the traffic to ${plan.version}"
            Map traffic = plan.strategy == 'ab' ? [match: plan.match] : [mirrorPercent: plan.mirrorPercent]
            result.canaryTraffic = changeTraffic(plan, traffic)
            // a gate for the audience or the mirror before any weight, unless the canary is already past 0% (a re-run)
            if (plan.approval && (answers.next.weight ?: 0) == 0 && first != 'gate') {
                doing = "at the ${plan.strategy} gate '${gateId(plan.app, plan.env, 0)}'"
                result.approvals << gate(plan, 0, weightOfNextShift(actions, -1))
            }
        }
        for (int i = 0; i < actions.size(); i++) {   // an index loop: the iterator of Jenkins' JSONArray is not serializable
            String action = actions[i].action
            int weight = actions[i].weight as int
            if (action == 'gate') {
                doing = "at the ${weight}% gate '${gateId(plan.app, plan.env, weight)}'"
                result.approvals << gate(plan, weight, weightOfNextShift(actions, i))
            } else if (action == 'shift') {
                if (mirroring) {
                    doing = "stopping the mirror before ${plan.version} takes real traffic"
                    changeTraffic(plan, [mirrorPercent: 0])
                    mirroring = false
                }
                doing = "shifting to ${weight}%"
                changeTraffic(plan, [weight: weight] + plan.sticky)
                if (plan.analysisArgs) {
                    doing = "analysing the canary at ${weight}%"
                    Map verdict = analyse(plan, weight)
                    result.analyses << verdict
                    if (verdict.verdict == 'fail') {
                        result.outcome = 'rolled back by analysis'
                        writeReport(plan, result)
                        error "swarmCanaryDeploy: ${plan.version} of ${plan.track} failed analysis at ${weight}%: ${verdict.reason}; " +
                              "rolled back automatically, without waiting for approval: " +
                              "${present(verdict.rollback?.weights) ? 'weights now ' + verdict.rollback.weights : 'the stable release takes all traffic'}" +
                              (verdict.rollback?.removed ? " and ${verdict.rollback.removed.join(', ')} was removed" : '')
                    }
                }
            }
        }
        doing = 'promoting'
        def promoted = onAgent(plan) { swarmCanaryPromote(plan.target) }
        result.outcome = 'promoted'
        result.weights = promoted.weights
        if (plan.analysisArgs) {
            doing = 'writing the report'
            writeReport(plan, result)
        }
        echo "swarmCanaryDeploy: ${plan.version} promoted: it takes all traffic of ${plan.track}" +
             (present(promoted.previous) ? "; ${promoted.previous} stays at weight 0 for rollback until pruned" : '')
        return result
    } catch (Throwable failure) {
        // the rollback comes first: nothing that could throw (e.g. a read the sandbox rejects) may run before it
        String rolledBack = result.outcome in ['rolled back by analysis', 'promoted'] ? null
                : !deployed && refusedInput(failure) ? 'nothing to roll back: the CLI refused the input before changing anything'
                : rollBack(plan, deployed)
        if (result.outcome == 'rolled back by analysis') {
            throw failure // analyze already rolled back and said why
        }
        String what = whatHappened(failure, doing.startsWith('at ') ? "got no approval within ${plan.approvalTimeoutText} (approvalTimeout)"
                : doing.startsWith('verifying ') ? (plan.insideNode ? 'timed out in the verify block'
                        : "timed out: the agent wait and the verify block took over ${plan.agentTimeout} minutes (agentTimeout)")
                : "timed out: no agent and CLI answer within ${plan.agentTimeout} minutes (agentTimeout)")
        if (result.outcome == 'promoted') {
            // stopped after the promote (while writing the report): the release stays promoted, and the build is not 'promoted'
            echo "swarmCanaryDeploy: ${plan.version} of ${plan.track} was promoted, then ${what} while writing the report"
            throw failure
        }
        String message = "swarmCanaryDeploy: ${plan.version} of ${plan.track} ${what} ${doing.startsWith('at ') ? doing : 'while ' + doing}; ${rolledBack}"
        if (isInterruption(failure)) {
            // rejected, timed out or aborted: say so, then end the build ABORTED with Jenkins' own interruption (not FAILURE)
            echo message
            throw failure
        }
        error message
    }
}

/**
 * The user's verify closure, on this agent, with a token that sends its requests to the canary through the edge
 * (swarm-canary canary-token): the CLI writes it, and the whole header line, to files in a directory of its own that
 * only the agent's user reads (SWARM_CANARY_TOKEN_FILE, SWARM_CANARY_TOKEN_HEADER_FILE for curl -H @FILE); it never
 * enters the pipeline's state, its log or a command line, and the directory is deleted after.
 */
private void verifyCanary(Map plan) {
    String tokenDir = "${pwd(tmp: true)}/swarm-canary/verify-${UUID.randomUUID()}"
    String tokenFile = "${tokenDir}/canary-token"
    String headerFile = "${tokenDir}/canary-token-header"
    List<String> args = ['--app', plan.app, '--env', plan.env, '--ttl', VERIFY_TOKEN_TTL, '--out', tokenFile, '--header-out', headerFile]
    if (plan.target.edge) {
        args += ['--edge', plan.target.edge]
    }
    try {
        def token = swarmCanaryExecute(verb: 'canary-token', args: args, dockerHost: plan.target.dockerHost,
                dockerCredentialsId: plan.target.dockerCredentialsId)
        if (token.edgeForcesCanary != true) {
            error "swarmCanaryDeploy: verify needs the edge ${token.edge} to let a token reach the canary: run " +
                  "'swarm-canary edge ensure --edge ${token.edge} --force-canary on' once, then re-run"
        }
        // the header file for curl -H @FILE: sh runs with -x, so a token expanded on a command line would be in the log
        withEnv(["SWARM_CANARY_TOKEN_FILE=${tokenFile}", "SWARM_CANARY_TOKEN_HEADER_FILE=${headerFile}",
                 "SWARM_CANARY_TOKEN_HEADER=${token.header}"]) {
            echo "swarmCanaryDeploy: verifying ${plan.version} before it takes traffic: requests with the header in " +
                 "\$SWARM_CANARY_TOKEN_HEADER_FILE (curl -H @\"\$SWARM_CANARY_TOKEN_HEADER_FILE\") reach it (token valid ${VERIFY_TOKEN_TTL})"
            plan.verify.call()
        }
    } finally {
        dir(tokenDir) {
            deleteDir()
        }
    }
}

/** How long the token verify gets works: long enough for a test suite, short enough to be worthless soon after. */
@groovy.transform.Field
static final String VERIFY_TOKEN_TTL = '30m'

/** swarm-canary next: the track as the cluster has it now, and what is left for this release. Call it on an agent. */
private Map nextSteps(Map plan) {
    List<String> args = ['--app', plan.app, '--env', plan.env, '--version', plan.version, '--steps', plan.weights.join(',')]
    if (plan.target.edge) {
        args += ['--edge', plan.target.edge]
    }
    if (!plan.approval || plan.strategy == 'bluegreen') { // blue/green's one gate comes before its switch, not after
        args << '--no-gates'
    }
    return swarmCanaryExecute(verb: 'next', args: args, dockerHost: plan.target.dockerHost, dockerCredentialsId: plan.target.dockerCredentialsId)
}

/** The weight the shift after this gate goes to; null when the promote comes next. */
@NonCPS
private static Integer weightOfNextShift(List actions, int gate) {
    for (int i = gate + 1; i < actions.size(); i++) {
        if (actions[i].action == 'shift') {
            return actions[i].weight as Integer
        }
    }
    return null
}

/** The deploy's exit 2: bad input, refused before anything changed (the CLI validates its options, not this step). */
@NonCPS
static boolean refusedInput(Throwable failure) {
    failure.message?.startsWith('swarm-canary deploy (exit 2,') ?: false
}

/** Jenkins' FlowInterruptedException (rejection, timeout, abort, superseded): it ends a build ABORTED. */
@NonCPS
static boolean isInterruption(Throwable failure) {
    failure.class.simpleName == 'FlowInterruptedException'
}

/**
 * Compares canary and stable over the window (swarm-canary analyze). A fail has already been rolled back by the CLI;
 * "not enough data" is never a pass: with approval gates a human decides, without them the build fails.
 */
private Map analyse(Map plan, int weight, List<String> extraArgs = []) {
    // the run's record lives in the pipeline (plan.events), not in a workspace: each node gets it, the CLI appends, it comes back
    def answer = onAgent(plan) {
        writeFile(file: EVENTS_FILE, encoding: 'UTF-8', text: plan.events)
        def verdict = swarmCanaryExecute(verb: 'analyze', args: plan.analysisArgs + extraArgs, okExitCodes: [1, 4],
                dockerHost: plan.target.dockerHost, dockerCredentialsId: plan.target.dockerCredentialsId)
        plan.events = readFile(file: EVENTS_FILE, encoding: 'UTF-8')
        verdict
    }
    Map verdict = [weight: weight, verdict: answer.verdict ?: 'error', reason: answer.reason ?: answer.error?.toString(),
                   rollback: answer.rollback]
    if (answer.exitCode == 1 && answer.verdict != 'fail') {
        error "swarmCanaryDeploy: the analysis at ${weight}% could not read the statistics: ${verdict.reason}"
    }
    if (verdict.verdict == 'pass') {
        echo "swarmCanaryDeploy: analysis at ${weight}% passed: ${verdict.reason}"
    } else if (verdict.verdict != 'fail') {
        if (!plan.approval) {
            error "swarmCanaryDeploy: the analysis at ${weight}% had not enough data (${verdict.reason}) and there is no approval gate to decide"
        }
        echo "swarmCanaryDeploy: the analysis at ${weight}% had not enough data (${verdict.reason}): asking a human"
    }
    return verdict
}

/** envoyShiftTraffic on an agent; with analysis the change goes into the run's record too, so the report shows it. */
private def changeTraffic(Map plan, Map change) {
    return onAgent(plan) {
        if (!plan.analysisArgs) {
            return envoyShiftTraffic(plan.target + change)
        }
        writeFile(file: EVENTS_FILE, encoding: 'UTF-8', text: plan.events)
        def answer = envoyShiftTraffic(plan.target + change + [events: EVENTS_FILE])
        plan.events = readFile(file: EVENTS_FILE, encoding: 'UTF-8')
        return answer
    }
}

/** The HTML report of the run (weights, analyses, approvals), archived with its events; a failure here fails nothing, a Stop stops. */
private void writeReport(Map plan, Map result) {
    try {
        onAgent(plan) {
            writeFile(file: EVENTS_FILE, encoding: 'UTF-8', text: plan.events) // this run's record, from the pipeline
            swarmCanaryExecute(verb: 'report', args: ['--events', EVENTS_FILE, '--out', REPORT_FILE,
                    '--title', "${plan.version} of ${plan.track}".toString()])
            archiveArtifacts(artifacts: "${REPORT_FILE},${EVENTS_FILE}", allowEmptyArchive: true)
        }
        result.report = REPORT_FILE
    } catch (Exception e) {
        if (isInterruption(e)) {
            throw e // a Stop pressed while the report is written stops the build
        }
        echo "swarmCanaryDeploy: could not write the report ${REPORT_FILE} (${e.message})"
    }
}

/**
 * Runs body on an agent: node(nodeLabel) from outside a node, or right here if the step was called inside one. Bounded
 * by agentTimeout: the track is locked meanwhile, and an agent that never comes must not hold it for ever.
 */
private def onAgent(Map plan, Closure body) {
    if (plan.insideNode) {
        return body()
    }
    return timeout(time: plan.agentTimeout, unit: 'MINUTES') {
        plan.nodeLabel ? node(plan.nodeLabel) { body() } : node { body() }
    }
}

/** One approval, outside any node; returns who approved. Throws what input or timeout throw. */
private Map gate(Map plan, int weight, Integer next) {
    String id = gateId(plan.app, plan.env, weight)
    String question = next == null ? "Promote ${plan.version} (make it the stable release)?"
            : plan.strategy == 'bluegreen' ? "Switch all traffic to ${plan.version} (blue/green; the release it replaces is kept for rollback)?"
            : "Shift ${plan.version} to ${next}%?"
    echo "swarmCanaryDeploy: ${plan.version} takes ${weight}% of ${plan.track}; waiting up to ${plan.approvalTimeoutText} " +
         "for approval '${id}'" + (plan.submitter ? " by ${plan.submitter}" : '')
    def answer
    timeout(time: plan.approvalTimeout.time, unit: plan.approvalTimeout.unit) {
        answer = input(id: id, message: "${plan.app} ${plan.version} takes ${weight}% of ${plan.env}. ${question}",
                       ok: next == null ? 'Promote' : plan.strategy == 'bluegreen' ? 'Switch' : "Shift to ${next}%", submitter: plan.submitter, submitterParameter: APPROVER)
    }
    String approver = answer instanceof Map ? answer[APPROVER]?.toString() : answer?.toString()
    echo "swarmCanaryDeploy: gate '${id}' approved by ${approver ?: 'unknown'}"
    if (plan.analysisArgs) {
        // the time as Instant.toString() writes it; java.time.Instant.now() is not on the sandbox's whitelist, Date and format are
        String now = new Date().format("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", TimeZone.getTimeZone('UTC'))
        plan.events += groovy.json.JsonOutput.toJson([time: now, type: 'approval',
                track: plan.track, step: "${weight}%".toString(), approver: approver, decision: 'approved']) + '\n'
    }
    return [gate: id, weight: weight, approver: approver]
}

/** Rolls the track back if this build's release may be on it; says in words what state the track is left in. */
private String rollBack(Map plan, boolean deployed) {
    try {
        if (!deployed && !canaryIsThisRelease(plan)) {
            return "nothing to roll back: ${plan.version} is not the canary of ${plan.track} (the deploy removes what it created when it fails)"
        }
        def back = onAgent(plan) { swarmCanaryRollback(plan.target) }
        return "rolled back: ${present(back.stable) ?: 'the stable release'} takes all traffic again" +
               (back.removed ? " and ${back.removed.join(', ')} was removed" : '')
    } catch (Throwable rollbackFailure) {
        return "the rollback failed too (${rollbackFailure.message}): the track may still route to ${plan.version}. " +
               "Run swarmCanaryRollback(app: '${plan.app}', env: '${plan.env}'${plan.target.edge ? ", edge: '" + plan.target.edge + "'" : ''}) " +
               "or 'swarm-canary rollback --app ${plan.app} --env ${plan.env}${plan.target.edge ? ' --edge ' + plan.target.edge : ''}' " +
               'to put the stable release back'
    }
}

/** After a deploy that did not finish: is this build's release the track's canary (its claim made, maybe its service)? */
private boolean canaryIsThisRelease(Map plan) {
    return onAgent(plan) { nextSteps(plan) }.canaryIsThisVersion == true
}

/** A value of the CLI's JSON as text; null for null and for JSON null (readJSON gives a JSONNull object). */
@NonCPS
static String present(def value) {
    value == null || value.equals(null) ? null : value.toString()
}

@NonCPS
static String gateId(String app, String env, int weight) {
    "${app}-${env}-${weight}".replaceAll(/[^A-Za-z0-9_-]/, '_')
}

/**
 * In words, what stopped the lifecycle: who rejected or aborted, a timeout, or the error's message. Under the Groovy
 * sandbox the causes of an interruption cannot be read (FlowInterruptedException.getCauses is not whitelisted): then it
 * says only that the build was stopped, and Jenkins' own log lines above (input, timeout) say by whom.
 */
@NonCPS
static String whatHappened(Throwable failure, String timeoutText) {
    try {
        return describeFailure(failure, timeoutText)
    } catch (Exception rejected) {
        return isInterruption(failure) ? 'was stopped (rejected, timed out or aborted: see the lines above)' : 'failed'
    }
}

@NonCPS
private static String describeFailure(Throwable failure, String timeoutText) {
    if (isInterruption(failure)) {
        List causes = []
        try {
            causes = failure.causes ?: []
        } catch (MissingPropertyException ignored) {
            // not the Jenkins type after all
        }
        for (def cause in causes) {
            String kind = cause.class.simpleName
            String user = userOf(cause)
            if (kind == 'ExceededTimeout' || (kind == 'Rejection' && user == 'SYSTEM')) {
                return timeoutText
            }
            if (kind == 'Rejection') {
                return user ? "was rejected by ${user}" : 'was rejected'
            }
            if (kind == 'UserInterruption') {
                return user ? "was aborted by ${user}" : 'was aborted'
            }
            String description = describe(cause)
            if (description) {
                return "was interrupted (${description})"
            }
        }
        return 'was aborted'
    }
    return "failed (${failure.message ?: failure.class.simpleName})"
}

@NonCPS
private static String userOf(def cause) {
    for (String property in ['userId', 'user']) {
        try {
            def user = cause."${property}"
            if (user != null) {
                if (user instanceof CharSequence) {
                    return user.toString()
                }
                try {
                    return user.id?.toString()
                } catch (MissingPropertyException ignored) {
                    return user.toString()
                }
            }
        } catch (MissingPropertyException ignored) {
            // this kind of cause does not name a user that way
        }
    }
    return null
}

@NonCPS
private static String describe(def cause) {
    try {
        return cause.shortDescription?.toString()
    } catch (MissingPropertyException ignored) {
        return cause.toString()
    }
}

/** Checks every parameter and builds the CLI arguments; an Exception says what is wrong. */
@NonCPS
static Map planOf(Map config) {
    def unknown = config.keySet().findAll { !(it in PARAMETERS) }
    if (unknown) {
        throw new Exception("unknown parameter(s) ${unknown.sort()}; known: ${PARAMETERS.sort()}")
    }
    ['app', 'env', 'version'].each { name -> required(config, name) }
    String app = config.app.toString().trim()
    String env = config.env.toString().trim()
    String version = config.version.toString().trim()
    if (config.domains == null) {
        throw new Exception("'domains' is required: Envoy routes a track by its domains, e.g. domains: ['files.webdev.example.com']")
    }
    if (config.composeStash != null && config.compose == null) {
        throw new Exception("'composeStash' goes with a 'compose' file; give 'compose' too")
    }

    List<String> args = ['--app', app, '--env', env, '--version', version]
    option(args, '--image', text(config, 'image'))
    option(args, '--compose', text(config, 'compose'))
    option(args, '--service', text(config, 'service'))
    option(args, '--stack', text(config, 'stack'))
    // replicas, port, image, service and stack: the CLI checks them (exit 2) before it changes anything
    option(args, '--replicas', config.replicas?.toString())
    option(args, '--port', config.port?.toString())
    textList(config, 'domains').each { option(args, '--domain', it) }
    textList(config, 'networks').each { option(args, '--network', it) }
    textList(config, 'constraints').each { option(args, '--constraint', it) }
    if (config.envVars != null) {
        if (!(config.envVars instanceof Map)) {
            throw new Exception("'envVars' is a map of variable to value, e.g. [APP_VERSION: '1.0.10']; was ${config.envVars}")
        }
        config.envVars.each { key, value ->
            if (value == null) {
                throw new Exception("envVars: '${key}' needs a value")
            }
            option(args, '--env-var', "${key}=${value}".toString())
        }
    }
    option(args, '--health-cmd', text(config, 'healthCmd'))
    option(args, '--health-start-period', text(config, 'healthStartPeriod'))
    option(args, '--timeout', text(config, 'deployTimeout'))
    String edge = text(config, 'edge')
    option(args, '--edge', edge)
    if (flag(config, 'replaceCanary', false)) {
        args << '--replace-canary'
    }
    if (!flag(config, 'imageCheck', true)) {
        args << '--no-image-check'
    }

    List<Integer> weights = weightsOf(config.containsKey('weights') ? config.weights : DEFAULT_WEIGHTS)
    boolean approval = flag(config, 'approval', true)
    Map approvalTimeout = timeoutOf(config.approvalTimeout == null ? DEFAULT_APPROVAL_TIMEOUT : config.approvalTimeout)
    int time = approvalTimeout.time as int
    String unit = approvalTimeout.unit.toLowerCase()
    String submitter = text(config, 'submitter')
    String strategy = config.strategy == null ? 'canary' : config.strategy.toString()
    if (!(strategy in STRATEGIES)) {
        throw new Exception("'strategy' is one of ${STRATEGIES}; was '${config.strategy}'")
    }
    if ((strategy == 'ab') != (config.match != null)) {
        throw new Exception(strategy == 'ab' ? "strategy: 'ab' needs 'match', e.g. match: ['header:x-beta=1']"
                : "'match' goes with strategy: 'ab'")
    }
    if (strategy == 'mirror' && config.mirrorPercent == null) {
        throw new Exception("strategy: 'mirror' needs 'mirrorPercent', e.g. mirrorPercent: 10")
    }
    if (!(strategy in ['mirror', 'bluegreen']) && config.mirrorPercent != null) {
        throw new Exception("'mirrorPercent' goes with strategy: 'mirror' or 'bluegreen'")
    }
    List<String> match = strategy == 'ab' ? matchesOf(config.match) : null
    if (strategy == 'bluegreen' && config.sticky == true) {
        throw new Exception("'sticky' keeps clients on the release the weights chose for them; blue/green moves all traffic " +
                "in one shift, so there is nothing to keep: leave 'sticky' out")
    }
    Integer mirrorPercent = config.mirrorPercent == null ? null : inRange('mirrorPercent', config.mirrorPercent, 1, 100)
    if (strategy == 'bluegreen') {
        if (config.containsKey('weights') && weights != [100]) {
            throw new Exception("strategy: 'bluegreen' switches all traffic in one shift: leave 'weights' out (or give [100]); was ${config.weights}")
        }
        weights = [100]
        if (config.analysis != null && mirrorPercent == null) {
            throw new Exception("strategy: 'bluegreen' with 'analysis' needs 'mirrorPercent': the new release is judged on mirrored " +
                    "traffic before the switch (and on all of it after), e.g. mirrorPercent: 100")
        }
    }

    return [app: app, env: env, version: version, track: "${app}-${env}".toString(),
            deployArgs: args, secrets: secretsOf(config.secrets), weights: weights,
            approval: approval, submitter: submitter, approvalTimeout: approvalTimeout,
            strategy: strategy, match: match, mirrorPercent: mirrorPercent, sticky: stickyOf(config),
            approvalTimeoutText: "${time} ${time == 1 ? unit[0..-2] : unit}".toString(),
            nodeLabel: text(config, 'nodeLabel'), milestone: flag(config, 'milestone', true),
            agentTimeout: config.agentTimeout == null ? 60 : inRange('agentTimeout', config.agentTimeout, 1, 1440), lockResource: "swarm-canary/${app}-${env}".toString(),
            analysisArgs: config.analysis == null ? null : analysisArgsOf(config.analysis, app, env, edge), events: '',
            compose: text(config, 'compose'), composeStash: text(config, 'composeStash'), verify: verifyOf(config.verify),
            registryCredentialsId: text(config, 'registryCredentialsId'), registry: registryOf(config),
            target: [app: app, env: env, edge: edge, dockerHost: text(config, 'dockerHost'),
                     dockerCredentialsId: text(config, 'dockerCredentialsId')]]
}

/** verify: a closure (the user's checks against the canary), or nothing. */
@NonCPS
private static Closure verifyOf(def verify) {
    if (verify != null && !(verify instanceof Closure)) {
        throw new Exception("'verify' is a closure run before the canary takes traffic, a block of steps in braces that tests the canary through the edge; was ${verify}")
    }
    return verify
}

@groovy.transform.Field
static final Set<String> ANALYSIS_PARAMETERS = ['window', 'minRequests', 'maxErrorRate', 'maxP99', 'source', 'prometheusUrl'] as Set

/** The file the CLI records analyses in, written from and read back into the pipeline at each node hop; the report is made from it. */
@groovy.transform.Field
static final String EVENTS_FILE = 'swarm-canary-events.jsonl'

@groovy.transform.Field
static final String REPORT_FILE = 'swarm-canary-report.html'

/** analysis: [window: '1m', minRequests: 100, maxErrorRate: 1 (percent), maxP99: 500 (ms), source: 'envoy'|'prometheus', prometheusUrl:] */
@NonCPS
private static List<String> analysisArgsOf(def analysis, String app, String env, String edge) {
    if (!(analysis instanceof Map)) {
        throw new Exception("'analysis' is a map, e.g. analysis: [window: '1m', maxErrorRate: 1, maxP99: 500]; was ${analysis}")
    }
    def unknown = analysis.keySet().findAll { !(it in ANALYSIS_PARAMETERS) }
    if (unknown) {
        throw new Exception("analysis: unknown key(s) ${unknown.sort()}; known: ${ANALYSIS_PARAMETERS.sort()}")
    }
    List<String> args = ['--app', app, '--env', env]
    if (edge) {
        args += ['--edge', edge]
    }
    String window = analysis.window == null ? '1m' : analysis.window.toString().trim()
    if (!(window ==~ /\d+(ms|s|m|h)/)) {
        throw new Exception("analysis.window is a duration like '30s', '1m' or '5m'; was '${analysis.window}'")
    }
    args += ['--window', window]
    if (analysis.minRequests != null) {
        args += ['--min-requests', inRange('analysis.minRequests', analysis.minRequests, 1, 100000000).toString()]
    }
    if (analysis.maxErrorRate != null) {
        def rate = analysis.maxErrorRate
        if (!(rate instanceof Number) || rate < 0 || rate > 100) {
            throw new Exception("analysis.maxErrorRate is a percentage 0-100, e.g. 1 for 1%; was ${rate}")
        }
        args += ['--max-error-rate', "${rate}%".toString()]
    }
    if (analysis.maxP99 != null) {
        // milliseconds, as in the issue's example maxP99: 500; the CLI reads a bare number as seconds
        args += ['--max-p99', "${inRange('analysis.maxP99', analysis.maxP99, 1, 3600000)}ms".toString()]
    }
    if (analysis.source != null) {
        if (!(analysis.source in ['envoy', 'prometheus'])) {
            throw new Exception("analysis.source is 'envoy' or 'prometheus'; was '${analysis.source}'")
        }
        args += ['--source', analysis.source.toString()]
    }
    if (analysis.prometheusUrl != null) {
        args += ['--prometheus-url', analysis.prometheusUrl.toString()]
    }
    if (analysis.source == 'prometheus' && analysis.prometheusUrl == null) {
        throw new Exception("analysis.source 'prometheus' needs analysis.prometheusUrl, e.g. 'http://prometheus:9090'")
    }
    return args + ['--rollback-on-fail', '--events', EVENTS_FILE]
}

/** The registry a registryCredentialsId logs in to: registry:, else the host of image: (registry.example.com/files:1.0.10). */
@NonCPS
private static String registryOf(Map config) {
    String registry = text(config, 'registry')
    if (registry != null || config.registryCredentialsId == null) {
        return registry
    }
    String image = text(config, 'image')
    String host = image?.contains('/') ? image.substring(0, image.indexOf('/')) : null
    if (host == null || !(host.contains('.') || host.contains(':') || host == 'localhost')) {
        throw new Exception("registryCredentialsId needs registry: the host[:port] of the registry the login is for, " +
                "e.g. registry: 'registry.example.com' (it is not in image '${image ?: ''}')")
    }
    return host
}

@NonCPS
private static void required(Map config, String name) {
    if (!(config[name] instanceof CharSequence) || !config[name].toString().trim()) {
        throw new Exception("'${name}' is required, e.g. swarmCanaryDeploy(app: 'files', env: 'webdev', " +
                "version: '1.0.10', image: 'registry.example.com/files:1.0.10', domains: ['files.webdev.example.com'])")
    }
}

@NonCPS
private static void option(List<String> args, String option, String value) {
    if (value != null) {
        args << option
        args << value
    }
}

/** An optional text parameter: null when not given, an error when given empty or not as text. */
@NonCPS
private static String text(Map config, String name) {
    def value = config[name]
    if (value == null) {
        return null
    }
    if (!(value instanceof CharSequence) || !value.toString().trim()) {
        throw new Exception("'${name}' must be non-empty text; was '${value}'")
    }
    return value.toString().trim()
}

@NonCPS
private static List<String> textList(Map config, String name) {
    def value = config[name]
    if (value == null) {
        return []
    }
    List values = value instanceof CharSequence ? [value] : value instanceof List ? value : null
    if (values == null || values.any { !(it instanceof CharSequence) || !it.toString().trim() }) {
        throw new Exception("'${name}' is a list of non-empty texts, e.g. ['a', 'b']; was ${value}")
    }
    return values.collect { it.toString().trim() }
}

@NonCPS
private static boolean flag(Map config, String name, boolean otherwise) {
    def value = config[name]
    if (value == null) {
        return otherwise
    }
    if (!(value instanceof Boolean)) {
        throw new Exception("'${name}' is true or false; was '${value}'")
    }
    return value
}

/** strategy 'ab': the matches as texts; the CLI checks each one's syntax and refuses a bad one (exit 2) before any change. */
@NonCPS
private static List<String> matchesOf(def match) {
    List matches = match instanceof CharSequence ? [match] : match instanceof List ? match : null
    if (!matches || matches.any { !(it instanceof CharSequence) || !it.toString().trim() }) {
        throw new Exception("'match' is a list of header:NAME=VALUE, header:NAME^=PREFIX, header:NAME~REGEX or cookie:NAME=VALUE " +
                "(all must hold), e.g. ['header:x-beta=1']; was ${match}")
    }
    return matches.collect { it.toString() }
}

/** sticky: true (with stickyCookie, stickyTtl) goes with every shift; the CLI checks the name's length and the ttl's bounds. */
@NonCPS
private static Map stickyOf(Map config) {
    if (config.sticky != null && !(config.sticky instanceof Boolean)) {
        throw new Exception("'sticky' is true (each client keeps the release the weights chose for it) or false; was '${config.sticky}'")
    }
    if (config.sticky != true) {
        if (config.stickyCookie != null || config.stickyTtl != null) {
            throw new Exception("'stickyCookie' and 'stickyTtl' go with 'sticky: true'")
        }
        return [:]
    }
    Map sticky = [sticky: true]
    if (config.stickyCookie != null) {
        if (!(config.stickyCookie instanceof CharSequence) || !(config.stickyCookie.toString() ==~ /[A-Za-z0-9._-]{1,28}/)) {
            throw new Exception("'stickyCookie' is the cookie's name: up to 28 letters, digits, '.', '_' or '-'; was '${config.stickyCookie}'")
        }
        sticky.stickyCookie = config.stickyCookie.toString()
    }
    if (config.stickyTtl != null) {
        if (!(config.stickyTtl.toString().trim() ==~ /\d+|(\d+[smhd])+/)) {
            throw new Exception("'stickyTtl' is how long a client keeps its version, e.g. '1h' or '30m'; was '${config.stickyTtl}'")
        }
        sticky.stickyTtl = config.stickyTtl.toString().trim()
    }
    return sticky
}

@NonCPS
private static int inRange(String name, def value, int min, int max) {
    Integer number = null
    if (value instanceof Integer || value instanceof Long || value instanceof Short) {
        number = value as int
    } else if (value instanceof CharSequence && value.toString().trim() ==~ /\d{1,9}/) {
        number = value.toString().trim() as int
    }
    if (number == null || number < min || number > max) {
        throw new Exception("'${name}' must be a whole number ${min}-${max}; was '${value}'")
    }
    return number
}

@NonCPS
private static List<Integer> weightsOf(def value) {
    if (!(value instanceof List) || value.isEmpty()) {
        throw new Exception("'weights' is a list of the canary's shares in percent, rising, e.g. [5, 25, 50, 100]; was ${value}")
    }
    List<Integer> weights = value.collect { inRange('weights', it, 1, 100) }
    for (int i = 1; i < weights.size(); i++) {
        if (weights[i] <= weights[i - 1]) {
            throw new Exception("'weights' must rise step by step, e.g. [5, 25, 50, 100]; was ${value}")
        }
    }
    return weights
}

@NonCPS
private static Map timeoutOf(def value) {
    if (value instanceof Integer || value instanceof Long) {
        value = [time: value, unit: 'MINUTES']
    }
    Set units = ['SECONDS', 'MINUTES', 'HOURS', 'DAYS'] as Set
    if (!(value instanceof Map) || !(value.keySet().every { it in ['time', 'unit'] })
            || !(value.time instanceof Integer || value.time instanceof Long) || value.time < 1
            || !((value.unit ?: 'MINUTES').toString() in units)) {
        throw new Exception("'approvalTimeout' is minutes, or [time: 2, unit: 'HOURS'] (unit ${units.join(', ')}); was ${value}")
    }
    return [time: value.time as int, unit: (value.unit ?: 'MINUTES').toString()]
}

/** The runner's secret list, checked here so a typo fails before anything is deployed. */
@NonCPS
private static List<Map> secretsOf(def secrets) {
    if (secrets == null) {
        return []
    }
    if (!(secrets instanceof List)) {
        throw new Exception("'secrets' is a list of [name: 'db_password', credentialsId: 'files-db', type: 'string' or 'file']")
    }
    Set<String> names = [] as Set
    return secrets.collect { s ->
        if (!(s instanceof Map) || !(s.keySet().every { it in ['name', 'credentialsId', 'type'] })
                || !(s.name instanceof CharSequence) || !s.name.toString().trim()
                || !(s.credentialsId instanceof CharSequence) || !s.credentialsId.toString().trim()
                || !((s.type ?: 'string') in ['string', 'file'])) {
            throw new Exception("secret ${s instanceof Map ? s.findAll { it.key != 'value' } : s} needs name, credentialsId " +
                    "and type 'string' (default) or 'file', e.g. [name: 'db_password', credentialsId: 'files-db']")
        }
        if (!names.add(s.name.toString())) {
            throw new Exception("secret '${s.name}' is given twice")
        }
        [name: s.name.toString(), credentialsId: s.credentialsId.toString(), type: (s.type ?: 'string').toString()]
    }
}
