package dev.veil.uapi;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.core.SeededRandom;
import dev.veil.crypto.X25519;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;

/**
 * Junk on a UAPI connection: protocol-shaped fragments (operations, known keys with good and bad values, blank
 * lines, carriage returns) mixed with random text and bytes. The handler never throws, every answer it gives is
 * well-formed and ends in a known errno, and the device still answers a get afterwards.
 */
class UapiHandlerPropertyTest {
    private static final Set<Integer> ERRNOS =
        Set.of(0, Errno.IO, Errno.INVALID, Errno.PORT_IN_USE, Errno.PROTOCOL, Errno.UNKNOWN);
    /** One answer: key=value lines (none with an empty key), then errno=N and a blank line. */
    private static final Pattern ANSWER = Pattern.compile("(?:[a-z_]+=[^\n]*\n)*errno=(-?\\d+)\n\n");
    private static final List<String> KEYS = List.of("private_key", "listen_port", "fwmark", "replace_peers", "public_key",
        "remove", "update_only", "preshared_key", "endpoint", "persistent_keepalive_interval", "replace_allowed_ips",
        "allowed_ip", "protocol_version", "get", "set", "errno", "");
    private static final List<String> PUBLIC_KEYS = List.of(
        Rig.hex(X25519.publicKey(X25519.generatePrivateKey(new SeededRandom(1)))),
        Rig.hex(X25519.publicKey(X25519.generatePrivateKey(new SeededRandom(2)))),
        Rig.hex(X25519.publicKey(X25519.generatePrivateKey(new SeededRandom(1001)))));  // the rig's own key

    @Provide
    Arbitrary<String> values() {
        return Arbitraries.oneOf(
            Arbitraries.of(PUBLIC_KEYS),
            Arbitraries.of("0".repeat(64), Rig.hex(X25519.generatePrivateKey(new SeededRandom(1001))), "true", "false",
                "1", "2", "0", "-1", "", "65535", "65536", "4294967295", "10.0.0.0/8", "-10.0.0.0/8", "::/0", "fd00::1/128",
                "192.0.2.9:51820", "[2001:db8::1]:1", "[::1]", "0.0.0.0/33", "51820", "51821"),
            Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(80),
            Arbitraries.strings().all().ofMaxLength(20),
            Arbitraries.integers().map(i -> Integer.toString(i)));
    }

    @Provide
    Arbitrary<String> fragments() {
        Arbitrary<String> line = Combinators.combine(Arbitraries.of(KEYS), Arbitraries.of("=", "=", "=", "", "=="), values())
            .as((k, eq, v) -> k + eq + v + "\n");
        Arbitrary<String> junk = Arbitraries.oneOf(Arbitraries.strings().all().ofMaxLength(40),
            Arbitraries.bytes().array(byte[].class).ofMaxSize(40)
                .map(b -> new String(b, java.nio.charset.StandardCharsets.ISO_8859_1)));
        Arbitrary<String> good = Arbitraries.oneOf(
            Arbitraries.of(PUBLIC_KEYS).map(k -> "public_key=" + k + "\n"),
            Arbitraries.integers().between(0, 65535).map(p -> "listen_port=" + p + "\n"),
            Arbitraries.integers().between(0, 255).map(b -> "allowed_ip=10." + b + ".0.0/16\n"),
            Arbitraries.integers().between(0, 255).map(b -> "allowed_ip=-10." + b + ".0.0/16\n"),
            Arbitraries.of("endpoint=192.0.2.9:51820\n", "endpoint=[2001:db8::9]:51820\n", "remove=true\n",
                "update_only=true\n", "replace_peers=true\n", "replace_allowed_ips=true\n", "protocol_version=1\n",
                "persistent_keepalive_interval=25\n", "persistent_keepalive_interval=0\n", "fwmark=0\n", "fwmark=7\n",
                "private_key=" + "0".repeat(64) + "\n", "preshared_key=" + "ab".repeat(32) + "\n"));
        Arbitrary<String> lines = Arbitraries.frequencyOf(Tuple.of(12, good), Tuple.of(2, line), Tuple.of(1, junk))
            .list().ofMaxSize(6)
            .map(l -> String.join("", l));
        Arbitrary<String> set = Combinators.combine(lines, Arbitraries.of("\n", "\n", "\r\n", ""))
            .as((body, end) -> "set=1\n" + body + end);
        Arbitrary<String> get = Arbitraries.of("get=1\n\n", "get=1\n\n", "get=1\nx", "get=1\n");
        Arbitrary<String> operation = Arbitraries.frequencyOf(Tuple.of(6, set), Tuple.of(3, get), Tuple.of(1, junk),
            Tuple.of(1, Arbitraries.of("\n", "set=1\r\n", "get=1")));
        return operation.list().ofMaxSize(6).map(l -> String.join("", l));
    }

    @Property(tries = 400)
    void junkNeverThrowsAndEveryAnswerEndsInAKnownErrno(@ForAll("fragments") String input) {
        Rig r = Rig.alone();
        String output = r.exchange(input);  // throws if the handler does
        var m = ANSWER.matcher(output);
        int end = 0;
        int answers = 0;
        boolean succeeded = false;
        boolean failed = false;
        while (m.find() && m.start() == end) {
            int errno = Integer.parseInt(m.group(1));
            assertTrue(ERRNOS.contains(errno), "errno " + errno + " in " + output);
            succeeded |= errno == 0;
            failed |= errno < 0;
            end = m.end();
            answers++;
        }
        // The generator must reach both outcomes, or this property says little.
        Statistics.label("some operation succeeded").collect(succeeded);
        Statistics.label("some operation failed").collect(failed);
        Statistics.label("some operation succeeded").coverage(c -> c.check(true).percentage(p -> p > 10));
        Statistics.label("some operation failed").coverage(c -> c.check(true).percentage(p -> p > 10));
        assertEquals(output.length(), end, "the output is a sequence of well-formed answers: " + output);
        int operations = input.split("(get|set)=1\n", -1).length - 1;
        assertTrue(answers <= operations, answers + " answers to " + operations + " operations");
        assertTrue(r.exchange("get=1\n\n").endsWith("errno=0\n\n"), "the device still answers");
    }

    @Property(tries = 200)
    void randomBytesNeverThrow(@ForAll byte[] input) {
        Rig r = Rig.alone();
        String output = r.exchange(new String(input, java.nio.charset.StandardCharsets.ISO_8859_1));
        assertTrue(output.isEmpty() || ANSWER.matcher(output).find(), output);
        assertTrue(output.isEmpty() || output.endsWith("\n\n"), output);
    }
}
