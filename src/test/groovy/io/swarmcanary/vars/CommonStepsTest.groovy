package io.swarmcanary.vars

import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory

import static org.assertj.core.api.Assertions.assertThat
import static org.junit.jupiter.api.DynamicTest.dynamicTest

/** Rules every step of the library keeps, checked across all of vars/ at once (after Piper's CommonStepsTest). */
class CommonStepsTest extends PipelineTestSupport {
    static final String RUNNER = 'swarmCanaryExecute'
    /** The shared configuration (vars/swarmCanaryConfig): a global variable of the library that runs no CLI. */
    static final String CONFIG = 'swarmCanaryConfig'

    /** A valid call of each step; a new step must add one here, so it is run by the checks below. */
    static final Map<String, Map> VALID_CALLS = [
        envoyShiftTraffic: [app: 'files', env: 'webdev', weight: 25],
        swarmCanaryStatus: [:],
        swarmCanaryPromote: [app: 'files', env: 'webdev'],
        swarmCanaryRollback: [app: 'files', env: 'webdev'],
        swarmCanaryDeploy: [app: 'files', env: 'webdev', version: '1.0.10', image: 'files:1.0.10', domains: ['files.test'], approval: false],
        swarmPrune: [dryRun: true],
    ]

    /** What the fake CLI answers a step's valid call, by verb, where the verb's recorded answer is not the one (approval: false). */
    static final Map<String, Map<String, String>> CLI_OUTPUTS = [
        swarmCanaryDeploy: [next: cliJson('next-canary-at-0-no-gates')],
    ]

    /** How many CLI calls a step's valid call makes: one, but for the lifecycle (deploy, next, four shifts, promote). */
    static final Map<String, Integer> RUNNER_CALLS = [swarmCanaryDeploy: 7]

    static List<String> steps() {
        new File(REPO, 'vars').listFiles().findAll { it.name.endsWith('.groovy') }*.name*.replace('.groovy', '').sort()
    }

    static String source(String step) {
        new File(REPO, "vars/${step}.groovy").text
    }

    @Test
    void theLibraryHasItsSteps() {
        assertThat(steps()).contains(RUNNER, 'envoyShiftTraffic', 'swarmCanaryStatus', 'swarmCanaryDeploy', 'swarmCanaryPromote',
                'swarmCanaryRollback')
    }

    @TestFactory
    List<DynamicTest> everyStepHasHelp() {
        steps().collect { step ->
            dynamicTest(step) {
                File help = new File(REPO, "vars/${step}.txt")
                assertThat(help).as("vars/${step}.txt, the help in Jenkins' Global Variable Reference").exists()
                assertThat(help.text.trim()).as("vars/${step}.txt").isNotEmpty().contains(step)
                // Jenkins shows it with the instance's markup formatter, plain text by default: no HTML tags
                assertThat(help.text).as("vars/${step}.txt in plain text").doesNotContainPattern('</?(p|ul|ol|li|code|pre|b|i|a)\\b[^>]*>')
            }
        }
    }

    @TestFactory
    List<DynamicTest> everyStepButTheRunnerLeavesTheShellToTheRunner() {
        (steps() - RUNNER - CONFIG).collect { step ->
            dynamicTest(step) {
                String code = source(step).readLines().findAll { !it.trim().startsWith('*') && !it.trim().startsWith('//') }.join('\n')
                assertThat(code).as("vars/${step}.groovy runs no shell itself").doesNotContainPattern(/\b(sh|bat|powershell)\s*[(\s'"]/)
                assertThat(code).as("vars/${step}.groovy binds no credentials itself").doesNotContain('withCredentials')
                assertThat(code).as("vars/${step}.groovy calls the runner (or its shared track step)").containsPattern(/${RUNNER}(\.trackStep)?\(/)
            }
        }
    }

    @TestFactory
    List<DynamicTest> everyStepRunsThroughTheRunner() {
        (steps() - RUNNER - CONFIG).collect { step ->
            dynamicTest(step) {
                assertThat(VALID_CALLS).as("CommonStepsTest.VALID_CALLS needs a valid call of ${step}").containsKey(step)
                helper.callStack.clear()
                shCalls.clear()
                cliOnPath = true
                cliAnswer = { List<String> args -> CLI_OUTPUTS[step]?.get(args[0]) ?: recordedAnswer(args) }
                runStep(step, VALID_CALLS[step])
                def runnerCalls = calls(RUNNER)
                assertThat(runnerCalls).as("${step} calls ${RUNNER}").hasSize(RUNNER_CALLS[step] ?: 1)
                // the only shell scripts are the runner's constants
                assertThat(helper.callStack.findAll { it.methodName == 'sh' }*.target*.class*.name.unique()).containsOnly(RUNNER)
                assertThat(shCalls*.script).allMatch(matching { it in libraryVar(RUNNER).SCRIPTS })
            }
        }
    }
}
