package dev.veil.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.*;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Coverage-guided fuzzing of the {@code veil} command line. The input is what stdin holds, a 0x01 byte, then the
 * arguments separated by NUL bytes (as in {@code /proc/PID/cmdline}); without a 0x01, stdin is empty. The target
 * parses the arguments with the same {@link CommandLine} that {@link Main#run} uses, and runs {@code Main.run} only
 * where that has no side effect: parse errors, help and version, no subcommand, genkey, genpsk, pubkey (reading the
 * fuzzed stdin) and demo with a bad count. For up and down it only looks the configuration up ({@link
 * Quick#locate}, which reads no file but checks it exists); daemon and show are only parsed. Nothing is brought up,
 * taken down or started.
 *
 * <p>Invariant: no exception escapes; an operator error is one line on stderr, {@code veil: ...} (a parse error adds
 * the {@code Try 'veil --help'.} hint), with a non-zero exit and no stack trace; success prints what it should.
 * Inputs live in {@code CommandLineFuzzTestInputs/commandLine}.
 */
class CommandLineFuzzTest {
    private static final String HINT = "Try 'veil --help'.";
    private static final Pattern JAZZER_LOG =
        Pattern.compile("INFO: (Instrumented dev\\.veil\\.|New number of coverage counters)");
    /** Parses every input (picocli resets the options before each parse); building one takes most of a run. */
    private static final CommandLine PARSER = Main.commandLine();

    @FuzzTest
    @DictionaryEntries({"up", "down", "show", "daemon", "demo", "genkey", "pubkey", "genpsk", "--help", "-h", "-V",
        "--version", "--json", "--foreground", "-f", "--insecure-permissions", "--mtu", "--mtu=", "--ready-file",
        "--audit-log", "--count", "-c", "wg0", "wg0.conf", "all", "--", "="})
    void commandLine(byte[] data) {
        int split = indexOf(data, (byte) 1);
        byte[] stdin = split < 0 ? new byte[0] : Arrays.copyOfRange(data, 0, split);
        String args = new String(data, split + 1, data.length - split - 1, UTF_8);
        String[] argv = args.isEmpty() ? new String[0] : args.split("\0", -1);

        CommandLine.ParseResult parsed;
        try {
            parsed = PARSER.parseArgs(argv);
        } catch (CommandLine.ParameterException e) {
            Run r = run(argv, stdin);
            assertEquals(2, r.exit, r.err);
            assertUserError(r, true);
            return;
        } catch (RuntimeException e) {
            throw new AssertionError("parsing " + List.of(argv) + " threw", e);
        }
        if (helpRequested(parsed)) {
            Run r = run(argv, stdin);
            assertEquals(0, r.exit, r.err);
            assertEquals("", r.err);
            assertFalse(r.out.isEmpty(), "help or version printed");
            return;
        }
        CommandLine.ParseResult last = parsed;
        while (last.hasSubcommand()) last = last.subcommand();
        Object command = last.commandSpec().userObject();
        switch (last.commandSpec().name()) {
            case "veil" -> {
                Run r = run(argv, stdin);
                assertEquals(2, r.exit);
                assertUserError(r, true);
            }
            case "genkey", "genpsk" -> {
                Run r = run(argv, stdin);
                assertEquals(0, r.exit, r.err);
                assertTrue(r.out.matches("[A-Za-z0-9+/]{43}=\n"), r.out);
            }
            case "pubkey" -> {
                Run r = run(argv, stdin);
                if (r.exit == 0) {
                    assertTrue(r.out.matches("[A-Za-z0-9+/]{43}=\n"), r.out);
                } else {
                    assertEquals(1, r.exit);
                    assertUserError(r, false);
                    assertEquals("", r.out);
                }
            }
            case "demo" -> {
                if (((DemoCommand) command).count < 1) {
                    Run r = run(argv, stdin);
                    assertEquals(1, r.exit);
                    assertUserError(r, false);
                }
            }
            case "up", "down" -> {
                boolean up = command instanceof UpDownCommands.Up;
                String config = up ? ((UpDownCommands.Up) command).config : ((UpDownCommands.Down) command).config;
                assertNotNull(config);
                try {
                    Quick.locate(config, new PrintStream(OutputStream.nullOutputStream()), up);
                } catch (UserError e) {
                    // It may quote the argument, newlines and all: Main prints it through oneLine.
                    String message = e.getMessage();
                    if (!config.contains("\n")) assertFalse(message.contains("\n"), "one line: " + message);
                    assertFalse(Main.oneLine(e.getMessage()).contains("\n"));
                }
            }
            case "daemon" -> assertNotNull(((DaemonCommand) command).ifname);
            case "show" -> { }
            default -> fail("a subcommand the target does not know: " + last.commandSpec().name());
        }
    }

    /** Found with this target: picocli expanded {@code @FILE} arguments; {@code sudo veil @/etc/shadow} echoed it. */
    @Test
    void anAtFileArgumentIsNotRead() throws Exception {
        Path file = Files.createTempFile("veil-fuzz", ".args");
        try {
            Files.writeString(file, "secret-word-from-the-file\n");
            Run r = run(new String[] {"@" + file}, new byte[0]);
            assertEquals(2, r.exit);
            assertUserError(r, true);
            assertTrue(r.err.contains("@" + file), r.err);
            assertFalse(r.err.contains("secret-word"), r.err);
        } finally {
            Files.delete(file);
        }
    }

    /** Found by this target: an argument with a newline made the parse error two lines. */
    @Test
    void anArgumentWithANewlineGivesOneLine() {
        Run r = run(new String[] {"--a\nb\u001b[2J"}, new byte[0]);
        assertEquals(2, r.exit);
        assertUserError(r, true);
        assertEquals("veil: Unknown option: '--a b?[2J'", r.err.lines().findFirst().orElseThrow());
    }

    private static boolean helpRequested(CommandLine.ParseResult r) {
        for (; r != null; r = r.subcommand()) {
            if (r.isUsageHelpRequested() || r.isVersionHelpRequested()) return true;
        }
        return false;
    }

    private static int indexOf(byte[] data, byte b) {
        for (int i = 0; i < data.length; i++) if (data[i] == b) return i;
        return -1;
    }

    /** What {@link Main#run} printed and returned. */
    private record Run(int exit, String out, String err) {}

    /** Runs {@code veil} in this JVM with stdin, stdout and stderr redirected. */
    private static synchronized Run run(String[] argv, byte[] stdin) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        InputStream in = System.in;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, UTF_8));
            System.setErr(new PrintStream(e, true, UTF_8));
            System.setIn(new ByteArrayInputStream(stdin));
            int exit = assertDoesNotThrow(() -> Main.run(argv), () -> "veil " + List.of(argv));
            return new Run(exit, o.toString(UTF_8), withoutJazzerLines(e.toString(UTF_8)));
        } finally {
            System.setOut(out);
            System.setErr(err);
            System.setIn(in);
        }
    }

    /** Stderr without what Jazzer's agent logs there when it instruments a class that Main.run loads. */
    private static String withoutJazzerLines(String err) {
        return err.lines().filter(l -> !JAZZER_LOG.matcher(l).lookingAt()).map(l -> l + "\n")
            .collect(Collectors.joining());
    }

    /** One line {@code veil: ...} on stderr (then the hint, after a parse error), and no stack trace. */
    private static void assertUserError(Run r, boolean hint) {
        List<String> lines = r.err.lines().toList();
        assertEquals(hint ? 2 : 1, lines.size(), "one line" + (hint ? " and the hint" : "") + ": " + r.err);
        assertTrue(lines.get(0).startsWith("veil: "), r.err);
        if (hint) assertEquals(HINT, lines.get(1));
        assertTrue(lines.stream().noneMatch(l -> l.startsWith("\tat ")), "no stack trace: " + r.err);
    }

    static Map<String, byte[]> seeds() {
        Map<String, String> t = new LinkedHashMap<>();
        t.put("seed-help", "\u0001--help");
        t.put("seed-version", "\u0001--version");
        t.put("seed-no-subcommand", "\u0001");
        t.put("seed-unknown", "\u0001frobnicate\u0000--x");
        t.put("seed-genkey", "\u0001genkey");
        t.put("seed-pubkey", "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=\n\u0001pubkey");
        t.put("seed-pubkey-junk", "junk\u0001pubkey");
        t.put("seed-up-missing", "\u0001up\u0000--foreground\u0000/nonexistent/veil-fuzz/wg0.conf");
        t.put("seed-up-name", "\u0001up\u0000--insecure-permissions\u0000veilfuzz0");
        t.put("seed-down", "\u0001down\u0000/nonexistent/veil-fuzz/x.conf");
        t.put("seed-daemon", "\u0001daemon\u0000--mtu\u00001280\u0000--audit-log\u0000-\u0000wg0");
        t.put("seed-daemon-bad-mtu", "\u0001daemon\u0000--mtu=x\u0000wg0");
        t.put("seed-show", "\u0001show\u0000wg0\u0000--json");
        t.put("seed-demo-count", "\u0001demo\u0000--count\u00000");
        Map<String, byte[]> s = new LinkedHashMap<>();
        t.forEach((name, text) -> s.put(name, text.getBytes(UTF_8)));
        return s;
    }
}
