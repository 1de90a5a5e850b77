package dev.veil.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Guards the shape of the code: the protocol core and the routing table do no I/O, start no threads, read no
 * clock and make no randomness of their own, and depend on no outer layer.
 */
class ArchitectureTest {
    private static JavaClasses classes;
    private static final String[] PURE = {"dev.veil.core..", "dev.veil.routing.."};

    @BeforeAll
    static void load() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.veil");
    }

    @Test
    void coreDoesNoIo() {
        ArchRule r = noClasses().that().resideInAnyPackage(PURE).should().dependOnClassesThat()
            .resideInAnyPackage("java.io..", "java.net..", "java.lang.foreign..", "java.nio.channels..",
                "java.nio.file..", "javax.net..", "sun..", "jdk.internal..")
            .because("the core takes bytes in and returns actions; I/O belongs to the device layer");
        r.check(classes);
    }

    @Test
    void coreStartsNoThreads() {
        ArchRule r = noClasses().that().resideInAnyPackage(PURE).should().dependOnClassesThat()
            .resideInAnyPackage("java.util.concurrent..")
            .orShould().dependOnClassesThat().haveFullyQualifiedName(Thread.class.getName())
            .orShould().dependOnClassesThat().haveFullyQualifiedName(ThreadLocal.class.getName())
            .orShould().dependOnClassesThat().haveFullyQualifiedName(Runnable.class.getName())
            .because("the core is driven by its caller's threads");
        r.check(classes);
    }

    @Test
    void coreReadsNoClockAndMakesNoRandomness() {
        ArchRule r = noClasses().that().resideInAnyPackage(PURE).should()
            .callMethod(System.class, "nanoTime")
            .orShould().callMethod(System.class, "currentTimeMillis")
            .orShould().callConstructor(java.security.SecureRandom.class)
            .orShould().callConstructor(java.security.SecureRandom.class, byte[].class)
            .orShould().callConstructor(java.util.Random.class)
            .orShould().dependOnClassesThat().resideInAnyPackage("java.time..")
            .because("the clock and randomness are passed in, so tests drive time");
        r.check(classes);
    }

    @Test
    void coreDependsOnNoOuterLayer() {
        ArchRule r = noClasses().that().resideInAnyPackage(PURE).should().dependOnClassesThat()
            .resideInAnyPackage("dev.veil.device..", "dev.veil.tun..", "dev.veil.conn..", "dev.veil.cli..", "dev.veil.buffer..");
        r.check(classes);
    }

    @Test
    void offloadDoesNoIoAndStartsNoThreads() {
        ArchRule r = noClasses().that().resideInAPackage("dev.veil.offload..").should().dependOnClassesThat()
            .resideInAnyPackage("java.io..", "java.net..", "java.lang.foreign..", "java.nio.channels..",
                "java.nio.file..", "java.util.concurrent..", "dev.veil.device..", "dev.veil.linux..", "dev.veil.cli..")
            .orShould().dependOnClassesThat().haveFullyQualifiedName(Thread.class.getName())
            .because("segmentation and coalescing work on bytes the TUN layer reads and writes");
        r.check(classes);
    }

    @Test
    void ioInterfacesDoNotDependOnTheDevice() {
        ArchRule r = noClasses().that().resideInAnyPackage("dev.veil.tun..", "dev.veil.conn..").should()
            .dependOnClassesThat().resideInAnyPackage("dev.veil.device..", "dev.veil.cli..");
        r.check(classes);
    }
}
