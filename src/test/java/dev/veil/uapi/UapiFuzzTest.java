package dev.veil.uapi;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.*;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.veil.core.SeededRandom;
import dev.veil.crypto.X25519;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Coverage-guided fuzzing of the UAPI text protocol: the input is what a client writes on one connection (bytes as
 * ISO-8859-1 text), served by a {@link UapiHandler} of a fresh device with no threads.
 *
 * <p>Invariant: the handler never throws; the output is a sequence of well-formed answers, each ending in errno 0
 * or one of the documented errors (never -55, the answer for an exception the handler did not expect); no error
 * message repeats a private or preshared key given on a line; and afterwards the device still answers a get whose
 * state is consistent: each peer once, each allowed IP with one peer, as many routes as the get lists. Inputs live
 * in {@code UapiFuzzTestInputs/uapi}.
 */
class UapiFuzzTest {
    private static final Set<Integer> DOCUMENTED =
        Set.of(0, Errno.IO, Errno.INVALID, Errno.PORT_IN_USE, Errno.PROTOCOL);
    private static final Pattern ANSWER = Pattern.compile("(?:[a-z_]+=[^\n]*\n)*errno=(-?\\d+)\n\n");
    private static final Pattern SECRET = Pattern.compile("(?md)^(?:private_key|preshared_key)=([^\r\n]*)");
    private static final Pattern HEX_KEY = Pattern.compile("[0-9a-f]{64}");

    @FuzzTest
    @DictionaryEntries({"get=1\\x0A\\x0A", "set=1\\x0A", "private_key=", "listen_port=", "fwmark=",
        "replace_peers=true\\x0A", "public_key=", "remove=true\\x0A", "update_only=true\\x0A", "preshared_key=",
        "endpoint=",
        "persistent_keepalive_interval=", "replace_allowed_ips=true\\x0A", "allowed_ip=", "protocol_version=1\\x0A"})
    void uapi(byte[] data) {
        String input = new String(data, ISO_8859_1);
        Rig r = Rig.alone();
        String output = assertDoesNotThrow(() -> r.exchange(input));

        Matcher m = ANSWER.matcher(output);
        int end = 0;
        while (m.find() && m.start() == end) {
            int errno = Integer.parseInt(m.group(1));
            assertTrue(DOCUMENTED.contains(errno), "errno " + errno + " for " + r.errors);
            end = m.end();
        }
        assertEquals(output.length(), end, "the output is a sequence of well-formed answers: " + output);

        Matcher s = SECRET.matcher(input);
        String elsewhere = SECRET.matcher(input).replaceAll("");  // a key's text typed elsewhere may be quoted
        while (s.find()) {
            String secret = s.group(1).strip();
            if (secret.length() < 12 || elsewhere.contains(secret.substring(0, 12))) continue;
            for (String e : r.errors) assertFalse(e.contains(secret.substring(0, 12)), "a key in the error log: " + e);
        }
        assertConsistent(r);
    }

    private static void assertConsistent(Rig r) {
        String answer = r.exchange("get=1\n\n");
        assertTrue(answer.endsWith("errno=0\n\n"), "the device still answers a get: " + answer);
        int peers = 0;
        int allowed = 0;
        Set<String> keys = new HashSet<>();
        Set<String> prefixes = new HashSet<>();
        for (String line : answer.lines().toList()) {
            int eq = line.indexOf('=');
            if (eq < 0) continue;
            String key = line.substring(0, eq);
            String value = line.substring(eq + 1);
            switch (key) {
                case "public_key" -> {
                    peers++;
                    assertTrue(HEX_KEY.matcher(value).matches(), line);
                    assertTrue(keys.add(value), "a peer listed twice: " + value);
                }
                case "allowed_ip" -> {
                    allowed++;
                    assertTrue(prefixes.add(value), "an allowed IP on two peers: " + value);
                }
                case "listen_port" -> {
                    int port = Integer.parseInt(value);
                    assertTrue(port > 0 && port <= 65535, line);
                }
                default -> { }
            }
        }
        int nodePeers = r.device.configure(n -> n.peers().size());
        assertEquals(nodePeers, peers, "the get lists every peer");
        assertEquals(r.routeCount(), allowed, "the get lists every route");
    }

    static Map<String, byte[]> seeds() {
        String priv = Rig.hex(X25519.generatePrivateKey(new SeededRandom(31)));
        String peer1 = Rig.hex(X25519.publicKey(X25519.generatePrivateKey(new SeededRandom(32))));
        String peer2 = Rig.hex(X25519.publicKey(X25519.generatePrivateKey(new SeededRandom(33))));
        String psk = "ab".repeat(32);
        Map<String, String> t = new LinkedHashMap<>();
        t.put("seed-get", "get=1\n\n");
        t.put("seed-set-device", "set=1\nprivate_key=" + priv + "\nlisten_port=51820\nfwmark=7\n\nget=1\n\n");
        t.put("seed-set-peers", "set=1\nreplace_peers=true\npublic_key=" + peer1 + "\npreshared_key=" + psk
            + "\nendpoint=192.0.2.9:51820\npersistent_keepalive_interval=25\nreplace_allowed_ips=true\n"
            + "allowed_ip=10.0.0.0/8\nallowed_ip=fd00::/64\nprotocol_version=1\npublic_key=" + peer2
            + "\nendpoint=[2001:db8::1]:1\nallowed_ip=10.1.0.0/16\n\nget=1\n\n");
        t.put("seed-remove-and-update-only", "set=1\npublic_key=" + peer1 + "\nallowed_ip=0.0.0.0/0\n\n"
            + "set=1\npublic_key=" + peer1 + "\nremove=true\npublic_key=" + peer2
            + "\nupdate_only=true\nallowed_ip=10.0.0.1/32\n\nget=1\n\n");
        t.put("seed-remove-allowed-ip",
            "set=1\npublic_key=" + peer1 + "\nallowed_ip=10.0.0.0/8\nallowed_ip=-10.0.0.0/8\n\n");
        t.put("seed-errors",
            "set=1\nlisten_port=70000\n\nset=1\nno equals sign\n\nget=1\nx\nset=1\r\nfwmark=0\r\n\r\n");
        Map<String, byte[]> s = new LinkedHashMap<>();
        t.forEach((name, text) -> s.put(name, text.getBytes(ISO_8859_1)));
        return s;
    }
}
