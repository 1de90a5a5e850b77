package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.interop.Hosts;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code src/main/jvm/compile-commands.txt}, which the launcher hands every JVM: this JDK accepts it (a line it cannot
 * parse stops the JVM from starting), every line is a command this test knows, and every method it names exists, so a
 * rename cannot leave a line that silently matches nothing.
 */
class CompileCommandsTest {
    private static final Path FILE = Hosts.REPO.resolve("src/main/jvm/compile-commands.txt");

    @Test
    void theJvmStartsWithTheFileAndPrintsNoComplaint() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(java, "-XX:CompileCommandFile=" + FILE, "-version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "java -version finished");
        assertEquals(0, p.exitValue(), out);
        assertFalse(out.contains("CompileCommand"), "quiet, and no parse error: " + out);
    }

    @Test
    void everyMethodNamedExists() throws IOException {
        List<String> lines = Files.readAllLines(FILE).stream()
            .filter(l -> !l.isBlank() && !l.startsWith("#") && !l.equals("quiet")).toList();
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("CompileThresholdScaling,dev.veil.")),
            "the file names Veil's per-batch methods");
        for (String line : lines) {
            String[] parts = line.split(",");
            assertEquals("CompileThresholdScaling", parts[0], "a command this test does not know: " + line);
            assertEquals(3, parts.length, line);
            assertTrue(Double.parseDouble(parts[2]) > 0, line);
            String[] target = parts[1].split("::");
            assertEquals(2, target.length, line);
            Class<?> c;
            try {
                c = Class.forName(target[0], false, getClass().getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new AssertionError("no class " + target[0] + " (" + line + ")", e);
            }
            boolean found = Arrays.stream(c.getDeclaredMethods()).map(Method::getName).anyMatch(target[1]::equals);
            assertTrue(found, "no method " + target[1] + " in " + c.getName() + " (" + line + ")");
        }
    }
}
