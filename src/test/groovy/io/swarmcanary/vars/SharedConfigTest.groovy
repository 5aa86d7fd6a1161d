package io.swarmcanary.vars

import org.junit.jupiter.api.BeforeEach
import org.junit.jupiter.api.Test

import static org.assertj.core.api.Assertions.assertThat
import static org.assertj.core.api.Assertions.assertThatThrownBy

/** The shared configuration (vars/swarmCanaryConfig, resources/io/swarmcanary/config.json): defaults from one place. */
class SharedConfigTest extends PipelineTestSupport {
    @BeforeEach
    void cliOnAgent() {
        env.SWARM_CANARY_CLI = '/opt/swarm-canary'
        files['/opt/swarm-canary'] = 'cli'
    }

    void defaults(String json) {
        helper.registerAllowedMethod('libraryResource', [String], { String path ->
            assert path == 'io/swarmcanary/config.json'
            return json
        })
    }

    @Test
    void theShippedResourceSetsNoDefault() {
        assertThat(libraryVar('swarmCanaryConfig').defaultsOf(new File(REPO, 'resources/io/swarmcanary/config.json').text)).isEmpty()
    }

    @Test
    void stepsTakeTheDefaultsAndTheirOwnParametersWin() {
        defaults('{"dockerHost": "tcp://manager:2376", "dockerCredentialsId": "swarm-tls", "edge": "edge-1", "nodeLabel": "swarm"}')
        runStep('swarmCanaryStatus', [app: 'files', env: 'webdev'])
        assertThat(argsOfFile(cliRuns.last())).containsSequence('--edge', 'edge-1')
        assertThat(shCalls.last().env).containsEntry('DOCKER_HOST', 'tcp://manager:2376').containsEntry('DOCKER_TLS_VERIFY', '1')
        assertThat(boundCredentials*.credentialsId).contains('swarm-tls')

        runStep('swarmCanaryStatus', [app: 'files', env: 'webdev', edge: 'edge-2', dockerHost: 'tcp://other:2376'])
        assertThat(argsOfFile(cliRuns.last())).containsSequence('--edge', 'edge-2')
        assertThat(shCalls.last().env).containsEntry('DOCKER_HOST', 'tcp://other:2376')
    }

    @Test
    void theDeployTakesItsNodeLabelFromThere() {
        def merged = libraryVar('swarmCanaryConfig').merged([app: 'files', edge: null], [nodeLabel: 'swarm', edge: 'edge-1'],
                ['dockerHost', 'dockerCredentialsId', 'edge', 'nodeLabel'])
        assertThat(merged).isEqualTo([app: 'files', edge: 'edge-1', nodeLabel: 'swarm'])
    }

    @Test
    void aBadResourceIsAClearErrorAndNothingRuns() {
        defaults('{"dockerhost": "tcp://manager:2376"}')
        assertThatThrownBy { runStep('swarmCanaryStatus', [:]) }
                .hasMessageContaining("io/swarmcanary/config.json is not valid: unknown key 'dockerhost'")
        assertThat(cliRuns).isEmpty()
    }

    @Test
    void theProjectFileIsOverTheLibraryAndUnderTheStepsOwnParameters() {
        defaults('{"dockerHost": "tcp://manager:2376", "edge": "edge-1"}')
        files['.swarm-canary.json'] = '{"edge": "files-edge", "dockerCredentialsId": "files-tls"}'
        new File(PIPELINES, 'project.groovy').text = '''
            node {
                swarmCanaryConfig.project()
            }
            swarmCanaryStatus(app: 'files', env: 'webdev')
            swarmCanaryStatus(app: 'files', env: 'webdev', edge: 'own-edge')
        '''
        runScript('project.groovy')
        assertThat(argsOfFile(cliRuns[0])).containsSequence('--edge', 'files-edge')
        assertThat(shCalls[0].env).containsEntry('DOCKER_HOST', 'tcp://manager:2376')
        assertThat(boundCredentials*.credentialsId).contains('files-tls')
        assertThat(argsOfFile(cliRuns[1])).containsSequence('--edge', 'own-edge')
    }

    @Test
    void theStepsSeeTheProjectFileThroughTheirOwnInstanceOfTheConfig() {
        defaults('{"dockerHost": "tcp://manager:2376", "edge": "edge-1"}')
        files['.swarm-canary.json'] = '{"edge": "files-edge", "dockerCredentialsId": "files-tls"}'
        new File(PIPELINES, 'projectOnly.groovy').text = 'node { swarmCanaryConfig.project() }\n'
        new File(PIPELINES, 'statusOnly.groovy').text = "swarmCanaryStatus(app: 'files', env: 'webdev')\n"
        runScript('projectOnly.groovy')
        // on Jenkins a step that names swarmCanaryConfig gets an instance of its own, which project() never ran on (env is
        // the run's): here every script shares one instance, so its field is emptied as the steps' would be
        binding.getVariable('swarmCanaryConfig').projectDefaults = [:]

        runScript('statusOnly.groovy')

        assertThat(argsOfFile(cliRuns[0])).containsSequence('--edge', 'files-edge')
        assertThat(boundCredentials*.credentialsId).contains('files-tls')
    }

    @Test
    void aYamlProjectFileIsReadWithReadYaml() {
        defaults('{}')
        files['deploy/sc.yaml'] = 'edge: files-edge'
        helper.registerAllowedMethod('readYaml', [Map], { Map m -> [edge: 'files-edge'] })
        new File(PIPELINES, 'projectYaml.groovy').text = '''
            node { swarmCanaryConfig.project(file: 'deploy/sc.yaml', required: true) }
            swarmCanaryStatus(app: 'files', env: 'webdev')
        '''
        runScript('projectYaml.groovy')
        assertThat(argsOfFile(cliRuns[0])).containsSequence('--edge', 'files-edge')
    }

    @Test
    void aBadOrMissingRequiredProjectFileIsAClearError() {
        defaults('{}')
        files['.swarm-canary.json'] = '{"egde": "x"}'
        new File(PIPELINES, 'badProject.groovy').text = 'node { swarmCanaryConfig.project() }\n'
        assertThatThrownBy { runScript('badProject.groovy') }.hasMessageContaining(".swarm-canary.json is not valid: unknown key 'egde'")
        new File(PIPELINES, 'missingProject.groovy').text = "node { swarmCanaryConfig.project(file: 'nope.json', required: true) }\n"
        assertThatThrownBy { runScript('missingProject.groovy') }.hasMessageContaining('the project file nope.json is not in the workspace')
        assertThat(cliRuns).isEmpty()
    }
}
