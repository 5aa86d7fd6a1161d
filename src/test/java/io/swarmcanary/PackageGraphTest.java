package io.swarmcanary;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
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

    @Test
    void onlyTheGatewayKnowsDockersWire() {
        // docker-java's types and exceptions stay inside the gateway; callers decide on its typed refusals
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses().that().resideOutsideOfPackage("io.swarmcanary.swarm..")
                .should().dependOnClassesThat().resideInAPackage("com.github.dockerjava..")
                .because("the gateway (io.swarmcanary.swarm) is the only place that speaks Docker's wire")
                .check(MAIN);
        // a catch clause is no dependency to ArchUnit: check the caught types themselves
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.codeUnits().that().areDeclaredInClassesThat()
                .resideOutsideOfPackage("io.swarmcanary.swarm..")
                .should(new ArchCondition<JavaCodeUnit>("catch none of docker-java's exceptions") {
                    @Override
                    public void check(JavaCodeUnit unit, ConditionEvents events) {
                        unit.getTryCatchBlocks().forEach(block -> block.getCaughtThrowables().stream()
                                .filter(t -> t.getPackageName().startsWith("com.github.dockerjava"))
                                .forEach(t -> events.add(SimpleConditionEvent.violated(unit, unit.getFullName() + " catches "
                                        + t.getName() + " " + block.getSourceCodeLocation()))));
                    }
                })
                .check(MAIN);
        // nor do they decide by HTTP status: that is the gateway's classification into typed exceptions
        com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses().that().resideOutsideOfPackage("io.swarmcanary.swarm..")
                .should().callMethod(io.swarmcanary.swarm.DockerApiException.class, "status")
                .check(MAIN);
    }
}
