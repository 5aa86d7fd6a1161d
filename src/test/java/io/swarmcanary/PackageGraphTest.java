package io.swarmcanary;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The packages form a graph without cycles: each can be read, tested and changed from the ones below it. */
class PackageGraphTest {
    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.swarmcanary");

    @Test
    void noPackageDependsOnItselfThroughAnother() {
        slices().matching("io.swarmcanary.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void theCommandsAreTheTopAndTheGatewayTheBottom() {
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses().that().resideOutsideOfPackage("io.swarmcanary.cli..")
                .should().dependOnClassesThat().resideInAPackage("io.swarmcanary.cli..").check(MAIN);
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses().that().resideInAPackage("io.swarmcanary.swarm..")
                .should().dependOnClassesThat().resideInAnyPackage("io.swarmcanary.edge..", "io.swarmcanary.release..",
                        "io.swarmcanary.operations..", "io.swarmcanary.xds..", "io.swarmcanary.envoy..")
                .check(MAIN);
    }
}
