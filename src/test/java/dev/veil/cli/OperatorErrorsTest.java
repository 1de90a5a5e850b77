package dev.veil.cli;

import static org.junit.jupiter.api.Assertions.*;

import dev.veil.interop.Hosts;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What an operator sees when something is wrong, through the real launcher: one line on stderr naming the file, line
 * and key, a non-zero exit, no stack trace, and never the private key. The {@code veil up} and {@code down} cases run
 * inside a test namespace of a {@link QuickRig} (root only), so a config wrongly accepted could change nothing
 * outside it. Also the key commands against {@code wg}'s.
 */
class OperatorErrorsTest {
    @BeforeAll
    static void build() throws Exception {
        QuickRig.Exec v = QuickRig.exec(List.of(QuickRig.VEIL.toString(), "--version"), null, Map.of());
        assertEquals(0, v.exit(), "the launcher builds Veil: " + v.all());
    }

    @Test
    void aBadConfigIsOneLineNamingFileLineAndKey() throws Exception {
        try (QuickRig rig = QuickRig.create()) {
            String name = rig.name('e');
            String key = rig.hubPrivateKey;
            String junkKey = "!" + key.substring(1);
            List<List<String>> cases = List.of(
                List.of("[Interface]\nPrivateKey = " + key + "\nListenPort = 70000\n", ":3: ListenPort: "),
                List.of("[Interface]\nPrivateKey = " + key + "\nListenPrt = 51820\n", ":3: ListenPrt: unknown key"),
                List.of("[Interface]\nPrivateKey = " + junkKey + "\n", ":2: PrivateKey: "),
                List.of("[Interface]\n" + key + "\n", ":2: "),
                List.of("[Interface]\nPrivateKey = " + key + "\n\n[Peer]\nAllowedIPs = 10.0.0.0/33\n", ":5: AllowedIPs: "));
            for (List<String> c : cases) {
                Path conf = rig.config(name, c.get(0));
                QuickRig.Exec up = rig.veilInHub("up", conf.toString());
                assertNotEquals(0, up.exit(), c.get(0));
                assertOneLine(up, "veil: " + conf + c.get(1));
                assertFalse(up.all().contains(key) || up.all().contains(junkKey), "no key in the output: " + up.all());
                assertFalse(rig.exists(name), "nothing was created");
            }
        }
    }

    @Test
    void aMissingOrMalformedPrivateKeyFileIsOneLineNamingIt() throws Exception {
        try (QuickRig rig = QuickRig.create()) {
            String name = rig.name('f');
            String key = rig.hubPrivateKey;
            Path conf = rig.config(name, "[Interface]\nPrivateKeyFile = " + name + ".key\n");
            Path keyFile = rig.dir.resolve(name + ".key");
            QuickRig.Exec missing = rig.veilInHub("up", conf.toString());
            assertNotEquals(0, missing.exit());
            assertOneLine(missing, "veil: " + keyFile + ": cannot read the private key file: no such file");
            for (String junk : List.of(key + key, "PrivateKey = " + key, key.substring(1))) {
                rig.file(name + ".key", junk);
                QuickRig.Exec up = rig.veilInHub("up", conf.toString());
                assertNotEquals(0, up.exit());
                assertOneLine(up, "veil: " + keyFile + ": not a private key file");
                assertFalse(up.all().contains(key.substring(1, 20)), "no key in the output: " + up.all());
                assertFalse(rig.exists(name), "nothing was created");
            }
        }
    }

    @Test
    void upOfAMissingFileAndDownOfAMissingInterface() throws Exception {
        try (QuickRig rig = QuickRig.create()) {
            Path missing = rig.dir.resolve(rig.name('x') + ".conf");
            QuickRig.Exec up = rig.veilInHub("up", missing.toString());
            assertNotEquals(0, up.exit());
            assertOneLine(up, "veil: `" + missing + "' does not exist");
            String absent = rig.name('y');
            QuickRig.Exec down = rig.veilInHub("down", absent);
            assertNotEquals(0, down.exit());
            assertOneLine(down, "veil: `" + absent + "' is not a WireGuard interface");
        }
    }

    @Test
    void anUnknownUserOrGroupIsOneLineAndNothingIsCreated() throws Exception {
        try (QuickRig rig = QuickRig.create()) {
            String name = rig.name('u');
            String user = "no-such-user-" + rig.name('n');
            Path conf = rig.config(name, "[Interface]\nPrivateKey = " + rig.hubPrivateKey + "\n");
            List<List<String>> cases = List.of(
                List.of("daemon", "--user", user, name),
                List.of("daemon", "--user", "nobody", "--group", user, name),
                List.of("daemon", "--user", "root", name),
                List.of("daemon", "--group", "nogroup", name),
                List.of("up", "--user", user, conf.toString()),
                List.of("up", "--foreground", "--user", user, conf.toString()));
            List<String> expected = List.of("veil: --user " + user + ": no such user", "veil: --group " + user + ": no such group",
                "veil: --user root: that is root", "veil: --group nogroup needs --user", "veil: --user " + user + ": no such user",
                "veil: --user " + user + ": no such user");
            for (int i = 0; i < cases.size(); i++) {
                QuickRig.Exec r = rig.veilInHub(cases.get(i).toArray(String[]::new));
                assertNotEquals(0, r.exit(), cases.get(i).toString());
                assertOneLine(r, expected.get(i));
                assertFalse(rig.exists(name), "no interface was created: " + cases.get(i));
                assertFalse(java.nio.file.Files.exists(UapiClient.socket(name)), "no socket was created: " + cases.get(i));
            }
            // bin/veil-userspace takes the account from VEIL_USER and VEIL_GROUP.
            QuickRig.Exec viaEnv = QuickRig.exec(List.of("ip", "netns", "exec", rig.hub, Hosts.VEIL, name), null,
                Map.of("VEIL_USER", user));
            assertNotEquals(0, viaEnv.exit());
            assertOneLine(viaEnv, "veil: --user " + user + ": no such user");
            assertFalse(rig.exists(name), "no interface was created through bin/veil-userspace");
        }
    }

    @Test
    void pubkeyOfJunkIsOneLineAndAFailure() throws Exception {
        QuickRig.Exec r = QuickRig.exec(List.of(QuickRig.VEIL.toString(), "pubkey"), "junk\n", Map.of());
        assertNotEquals(0, r.exit());
        assertEquals("", r.out());
        assertOneLine(r, "veil: pubkey: ");
    }

    @Test
    void genkeyPubkeyAndGenpskMatchWg() throws Exception {
        Hosts.require("wg");
        QuickRig.Exec key = QuickRig.exec(List.of(QuickRig.VEIL.toString(), "genkey"), null, Map.of());
        assertEquals(0, key.exit(), key.all());
        assertEquals(32, Base64.getDecoder().decode(key.out().strip()).length);
        QuickRig.Exec veil = QuickRig.exec(List.of(QuickRig.VEIL.toString(), "pubkey"), key.out(), Map.of());
        QuickRig.Exec wg = QuickRig.exec(List.of("wg", "pubkey"), key.out(), Map.of());
        assertEquals(0, veil.exit(), veil.all());
        assertEquals(wg.out(), veil.out(), "veil pubkey prints what wg pubkey prints");

        QuickRig.Exec psk = QuickRig.exec(List.of(QuickRig.VEIL.toString(), "genpsk"), null, Map.of());
        assertEquals(0, psk.exit(), psk.all());
        assertTrue(psk.out().matches("[A-Za-z0-9+/]{43}=\n"), psk.out());
        assertEquals(32, Base64.getDecoder().decode(psk.out().strip()).length);
        QuickRig.Exec viaWg = QuickRig.exec(List.of("wg", "pubkey"), psk.out(), Map.of());
        assertEquals(0, viaWg.exit(), "wg takes it as a key: " + viaWg.all());
    }

    /** Exactly one line on stderr, starting with {@code start}, and no trace of a stack or exception. */
    private static void assertOneLine(QuickRig.Exec r, String start) {
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), "one line: " + r.err());
        assertTrue(lines.get(0).startsWith(start), "starts with " + start + ": " + lines.get(0));
        assertFalse(r.all().contains("at dev.veil") || r.all().contains("Exception"), r.all());
    }
}
