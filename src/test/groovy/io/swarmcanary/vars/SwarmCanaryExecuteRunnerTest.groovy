package io.swarmcanary.vars

import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Nested
import org.junit.jupiter.api.Test

import static org.assertj.core.api.Assertions.assertThat
import static org.assertj.core.api.Assertions.assertThatThrownBy

class SwarmCanaryExecuteRunnerTest extends PipelineTestSupport {
    /** Values a careless runner would break a shell with, or leak. */
    static final String NASTY = 'a "b" \'c\' $HOME `id` $(id) \\ ; | & \n x'
    static final String SECRET = 's3cr3t "$PATH" `reboot` \'; rm -rf /'

    @BeforeEach
    void cliOnAgent() {
        env.SWARM_CANARY_CLI = '/opt/swarm-canary/swarm-canary.jar'
        files['/opt/swarm-canary/swarm-canary.jar'] = 'jar'
    }

    def runner(Map config) {
        runStep('swarmCanaryExecute', config)
    }

    /** The arguments the CLI got, decoded the way picocli reads its @file (see ArgsFileAgainstCliRunnerTest). */
    List<String> cliArgs(int run = 0) {
        cliRuns[run].readLines().collect { line ->
            assert line.startsWith('"') && line.endsWith('"')
            line[1..-2].replaceAll(/\\(.)/) { all, c -> c == 'n' ? '\n' : c == 'r' ? '\r' : c }.replaceFirst(/^@@/, '@')
        }
    }

    void assertEveryShIsConstant() {
        def constants = libraryVar('swarmCanaryExecute').SCRIPTS
        shCalls.each { call ->
            assertThat(call.script).isInstanceOf(String)   // not a GString: nothing was interpolated
            assertThat(constants).contains(call.script)
        }
    }

    @Nested
    class ArgsFile {
        @Test
        void quotesEachArgumentOnItsOwnLine() {
            def runner = libraryVar('swarmCanaryExecute')
            assertThat(runner.quoteArg('plain')).isEqualTo('"plain"')
            assertThat(runner.quoteArg('')).isEqualTo('""')
            assertThat(runner.quoteArg('a "b" c')).isEqualTo('"a \\"b\\" c"')
            assertThat(runner.quoteArg('C:\\dir\\')).isEqualTo('"C:\\\\dir\\\\"')
            assertThat(runner.quoteArg('\\"')).isEqualTo('"\\\\\\""')
            assertThat(runner.quoteArg('two\nlines\r')).isEqualTo('"two\\nlines\\r"')
            assertThat(runner.quoteArg('$HOME `id` \'q\' # ; tab\t ü€')).isEqualTo('"$HOME `id` \'q\' # ; tab\t ü€"')
            assertThat(runner.argsFileText(['shift', '--app', 'x y'])).isEqualTo('"shift"\n"--app"\n"x y"\n')
        }

        @Test
        void doublesALeadingAtSoPicocliDoesNotReadAnotherFile() {
            def runner = libraryVar('swarmCanaryExecute')
            assertThat(runner.quoteArg('@/etc/passwd')).isEqualTo('"@@/etc/passwd"')
            assertThat(runner.quoteArg('@')).isEqualTo('"@@"')
            assertThat(runner.quoteArg('a@b')).isEqualTo('"a@b"')
        }

        @Test
        void carriesTheVerbTheArgumentsAndJsonOutput() {
            runner(verb: 'shift', args: ['--app', NASTY, '--weights', '1.0.9=75,1.0.10=25'])
            assertThat(cliArgs()).containsExactly('shift', '--app', NASTY, '--weights', '1.0.9=75,1.0.10=25', '--output', 'json')
        }

        @Test
        void splitsAVerbOfTwoWords() {
            runner(verb: 'edge ensure', args: [])
            assertThat(cliArgs()).containsExactly('edge', 'ensure', '--output', 'json')
        }

        @Test
        void isWrittenPerCallAndRemovedAfterwards() {
            runner(verb: 'status', args: [])
            runner(verb: 'status', args: [])
            def argsFiles = shCalls.findAll { it.script.contains('@$SWARM_CANARY_ARGS') }.collect { it.env.SWARM_CANARY_ARGS }
            assertThat(argsFiles).hasSize(2).doesNotHaveDuplicates().allMatch(matching { it.startsWith('/ws@tmp/swarm-canary/call-') })
            assertThat(files.keySet()).containsOnly('/opt/swarm-canary/swarm-canary.jar')
        }
    }

    @Nested
    class FindsTheCli {
        @Test
        void jarFromSwarmCanaryCliRunsWithJava() {
            runner(verb: 'status', args: [])
            def run = shCalls.last()
            assertThat(run.env).containsEntry('SWARM_CANARY_RUN_JAR', '/opt/swarm-canary/swarm-canary.jar').containsEntry('SWARM_CANARY_RUN_EXE', '')
            assertThat(shScripts()).hasSize(1)   // SWARM_CANARY_CLI wins: PATH is not even looked at
        }

        @Test
        void executableFromSwarmCanaryCli() {
            env.SWARM_CANARY_CLI = '/usr/local/bin/swarm-canary'
            files['/usr/local/bin/swarm-canary'] = '#!/bin/sh'
            runner(verb: 'status', args: [])
            assertThat(shCalls.last().env).containsEntry('SWARM_CANARY_RUN_EXE', '/usr/local/bin/swarm-canary').containsEntry('SWARM_CANARY_RUN_JAR', '')
        }

        @Test
        void swarmCanaryCliThatIsNotThereIsAnError() {
            env.SWARM_CANARY_CLI = '/nowhere/swarm-canary.jar'
            assertThatThrownBy { runner(verb: 'status', args: []) }
                    .hasMessageContaining("SWARM_CANARY_CLI is '/nowhere/swarm-canary.jar', which does not exist")
            assertThat(shCalls).isEmpty()
        }

        @Test
        void thenSwarmCanaryOnPath() {
            env.remove('SWARM_CANARY_CLI')
            env.SWARM_CANARY_JAR_URL = 'https://example.com/swarm-canary.jar'
            cliOnPath = true
            runner(verb: 'status', args: [])
            assertThat(shScripts()[0]).startsWith('command -v swarm-canary')
            assertThat(shCalls.last().env).containsEntry('SWARM_CANARY_RUN_EXE', 'swarm-canary')
            assertThat(shScripts().findAll { it.contains('curl -fsSL') }).isEmpty()
        }

        @Test
        void thenDownloadsTheJarOnceForItsChecksumAndChecksItBeforeEveryUse() {
            env.remove('SWARM_CANARY_CLI')
            env.SWARM_CANARY_JAR_URL = 'https://example.com/x.jar?a=$(id)&b="c"'
            env.SWARM_CANARY_JAR_SHA256 = sha256('a jar from ' + env.SWARM_CANARY_JAR_URL)
            String jar = "/ws@tmp/swarm-canary/cli/${env.SWARM_CANARY_JAR_SHA256}/swarm-canary.jar"
            runner(verb: 'status', args: [])
            runner(verb: 'status', args: [])
            def downloads = shCalls.findAll { it.script.contains('curl -fsSL') }
            assertThat(downloads).hasSize(1)
            assertThat(downloads[0].env).containsEntry('SWARM_CANARY_RUN_JAR', jar)
                    .containsEntry('SWARM_CANARY_JAR_URL', 'https://example.com/x.jar?a=$(id)&b="c"')
            assertThat(shCalls.last().env).containsEntry('SWARM_CANARY_RUN_JAR', jar)

            files[jar] = 'changed on the agent'   // the kept jar is checked before every use, not trusted by its URL
            runner(verb: 'status', args: [])
            assertThat(shCalls.findAll { it.script.contains('curl -fsSL') }).hasSize(2)

            env.SWARM_CANARY_JAR_URL = 'https://example.com/y.jar'
            env.SWARM_CANARY_JAR_SHA256 = sha256('a jar from https://example.com/y.jar')
            runner(verb: 'status', args: [])
            assertThat(shCalls.findAll { it.script.contains('curl -fsSL') }).hasSize(3)
            assertEveryShIsConstant()
        }

        @Test
        void aDownloadWithoutItsChecksumOrWithAnotherRunsNothing() {
            env.remove('SWARM_CANARY_CLI')
            env.SWARM_CANARY_JAR_URL = 'https://example.com/x.jar'
            assertThatThrownBy { runner(verb: 'status', args: []) }.hasMessageContaining('needs SWARM_CANARY_JAR_SHA256')
            assertThat(shCalls.findAll { it.script.contains('curl -fsSL') }).isEmpty()
            env.SWARM_CANARY_JAR_SHA256 = sha256('the jar we published')
            assertThatThrownBy { runner(verb: 'status', args: []) }.hasMessageContaining('does not have SWARM_CANARY_JAR_SHA256')
            assertThat(cliRuns).isEmpty()
        }

        @Test
        void withoutPipelineUtilityStepsNothingRuns() {
            helper.registerAllowedMethod('readJSON', [Map], { Map m -> throw new NoSuchMethodError("No such DSL method 'readJSON' found among steps") })
            assertThatThrownBy { runner(verb: 'status', args: []) }.hasMessageContaining('install the Pipeline Utility Steps plugin')
            assertThat(cliRuns).isEmpty()
        }

        @Test
        void noCliAnywhereSaysHowToProvideOne() {
            env.remove('SWARM_CANARY_CLI')
            assertThatThrownBy { runner(verb: 'status', args: []) }
                    .hasMessageContaining('SWARM_CANARY_CLI').hasMessageContaining('PATH').hasMessageContaining('SWARM_CANARY_JAR_URL')
            assertThat(cliRuns).isEmpty()
        }
    }

    @Nested
    class Result {
        @Test
        void isTheParsedJson() {
            cliStdout = cliJson('shift-25')
            def result = runner(verb: 'shift', args: [])
            assertThat(result.track).isEqualTo('files-webdev')
            assertThat(result.weights).isEqualTo(['1.0.9': 75, '1.0.10': 25])
            assertThat(shCalls.last().returnStatus).isTrue()
        }

        @Test
        void failureBecomesAnErrorWithTheCliMessage() {
            cliExit = 1
            cliStdout = cliError('failed', 'envoy did not apply the weights within 60s')
            assertThatThrownBy { runner(verb: 'shift', args: []) }
                    .isInstanceOf(StepFailure).hasMessage('swarm-canary shift (exit 1, failed; see its messages above): envoy did not apply the weights within 60s')
        }

        @Test
        void badInputSaysNothingChanged() {
            cliExit = 2
            cliStdout = cliError('bad-input', 'no release 1.0.11 in track files-webdev')
            assertThatThrownBy { runner(verb: 'shift', args: []) }
                    .hasMessageContaining('exit 2, bad input: nothing was changed').hasMessageContaining('no release 1.0.11 in track files-webdev')
        }

        @Test
        void conflictSaysReRun() {
            cliExit = 3
            cliStdout = cliError('conflict', 'the route table changed while shifting')
            assertThatThrownBy { runner(verb: 'shift', args: []) }
                    .hasMessageContaining('exit 3, conflict').hasMessageContaining('re-run the step').hasMessageContaining('the route table changed')
        }

        @Test
        void failureWithoutJsonStillSaysWhatHappened() {
            cliExit = 2   // picocli's own option errors go to stderr only
            cliStdout = ''
            assertThatThrownBy { runner(verb: 'status', args: []) }.hasMessage('swarm-canary status (exit 2, bad input: nothing was changed; fix the step parameters and re-run)')
        }

        @Test
        void successWithoutJsonIsAnError() {
            cliStdout = '  '
            assertThatThrownBy { runner(verb: 'status', args: []) }.hasMessageContaining('printed no JSON result')
        }
    }

    @Nested
    class Credentials {
        @Test
        void dockerTlsCertificatesFromDockerCert() {
            runner(verb: 'status', args: [], dockerHost: 'tcp://manager:2376', dockerCredentialsId: 'swarm-tls')
            assertThat(boundCredentials).containsExactly([kind: 'dockerCert', credentialsId: 'swarm-tls', variable: 'DOCKER_CERT_PATH'])
            assertThat(shCalls.last().env).containsEntry('DOCKER_HOST', 'tcp://manager:2376').containsEntry('DOCKER_TLS_VERIFY', '1')
                    .containsEntry('DOCKER_CERT_PATH', '/ws@tmp/docker-certs/swarm-tls')
            assertThat(env).doesNotContainKeys('DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH')
        }

        @Test
        void dockerHostAloneNeedsNoCredentials() {
            runner(verb: 'status', args: [], dockerHost: 'unix:///var/run/docker.sock')
            assertThat(boundCredentials).isEmpty()
            assertThat(shCalls.last().env).containsEntry('DOCKER_HOST', 'unix:///var/run/docker.sock').doesNotContainKey('DOCKER_TLS_VERIFY')
        }

        @Test
        void certificatesWithoutAnEndpointAreAnError() {
            assertThatThrownBy { runner(verb: 'status', args: [], dockerCredentialsId: 'swarm-tls') }.hasMessageContaining('dockerHost')
            assertThat(shCalls).isEmpty()
        }

        @Test
        void secretsReachTheCliOnlyThroughTheEnvironmentOrAFile() {
            secretValues['files-db-password'] = SECRET
            secretValues['files-tls-key'] = SECRET
            runner(verb: 'deploy', args: ['--app', 'files'], secrets: [
                    [name: 'db_password', credentialsId: 'files-db-password'],
                    [name: 'tls.key', credentialsId: 'files-tls-key', type: 'file']])

            assertThat(boundCredentials).containsExactly(
                    [kind: 'string', credentialsId: 'files-db-password', variable: 'SWARM_CANARY_SECRET_0'],
                    [kind: 'file', credentialsId: 'files-tls-key', variable: 'SWARM_CANARY_SECRET_1'])
            assertThat(cliArgs()).containsExactly('deploy', '--app', 'files',
                    '--secret', 'db_password=env:SWARM_CANARY_SECRET_0',
                    '--secret', 'tls.key=file:/ws@tmp/secretFiles/files-tls-key/content',
                    '--output', 'json')
            assertThat(shCalls.last().env).containsEntry('SWARM_CANARY_SECRET_0', SECRET)
            assertThat(cliRuns[0]).doesNotContain('s3cr3t')
            assertThat(env).doesNotContainKeys('SWARM_CANARY_SECRET_0', 'SWARM_CANARY_SECRET_1')
        }

        @Test
        void aSecretWithoutCredentialsIdIsAnError() {
            assertThatThrownBy { runner(verb: 'deploy', args: [], secrets: [[name: 'db_password']]) }.hasMessageContaining('needs name, credentialsId')
            assertThatThrownBy { runner(verb: 'deploy', args: [], secrets: [[name: 'x', credentialsId: 'y', type: 'ssh']]) }.hasMessageContaining("'file'")
            assertThat(shCalls).isEmpty()
        }
    }

    @Nested
    class NoValueInAnyShellScript {
        @Test
        void everyShIsOneOfTheConstantScripts() {
            env.remove('SWARM_CANARY_CLI')
            env.SWARM_CANARY_JAR_URL = 'https://example.com/$(id)/"x".jar'
            env.SWARM_CANARY_JAR_SHA256 = sha256('a jar from https://example.com/$(id)/"x".jar')
            secretValues['db'] = SECRET
            cliExit = 3
            cliStdout = cliJson('error-conflict')
            assertThatThrownBy {
                runner(verb: 'deploy', args: ['--app', NASTY, '--env', '$(reboot)', '--domain', '"; rm -rf / #'],
                        secrets: [[name: 'db_password', credentialsId: 'db'], [name: 'k', credentialsId: 'f', type: 'file']],
                        dockerHost: 'tcp://$(id):2376', dockerCredentialsId: 'tls "x"')
            }.isInstanceOf(StepFailure)

            assertThat(shScripts()).hasSize(4)   // on PATH?, checksum of a kept jar, download, run
            assertEveryShIsConstant()
            shScripts().each { script ->
                [NASTY, '$(reboot)', 'rm -rf', '$(id)', 'tls "x"', SECRET, 's3cr3t', 'example.com'].each { value ->
                    assertThat(script).doesNotContain(value)
                }
            }
        }

        @Test
        void noScriptOrLabelCarriesASecret() {
            secretValues['db'] = SECRET
            runner(verb: 'deploy', args: [], secrets: [[name: 'db_password', credentialsId: 'db']])
            shCalls.each { call ->
                assertThat(call.script).doesNotContain('s3cr3t')
                assertThat(call.label ?: '').doesNotContain('s3cr3t')
            }
            assertThat(calls('echo')).isEmpty()
        }
    }

    @Nested
    class Parameters {
        @Test
        void unknownParameterIsAnError() {
            assertThatThrownBy { runner(verb: 'status', arguments: []) }.hasMessageContaining('unknown parameter(s) [arguments]')
            assertThat(shCalls).isEmpty()
        }

        @Test
        void verbMustBeACommandName() {
            assertThatThrownBy { runner(verb: 'status; id', args: []) }.hasMessageContaining('verb must be a swarm-canary command')
            assertThatThrownBy { runner(args: []) }.hasMessageContaining('verb must be')
            assertThat(shCalls).isEmpty()
        }

        @Test
        void argsMustBeAListWithoutNulls() {
            assertThatThrownBy { runner(verb: 'status', args: '--app files') }.hasMessageContaining('args must be a list')
            assertThatThrownBy { runner(verb: 'status', args: ['--app', null]) }.hasMessageContaining('args must be a list')
        }

        @Test
        void readsTheArgsFileAsUtf8WhateverTheLocale() {
            env.JAVA_TOOL_OPTIONS = '-Xmx256m'
            runner(verb: 'status', args: [])
            assertThat(shCalls.last().env).containsEntry('JAVA_TOOL_OPTIONS', '-Xmx256m -Dfile.encoding=UTF-8')
            assertThat(env.JAVA_TOOL_OPTIONS).isEqualTo('-Xmx256m')
        }
    }
}
