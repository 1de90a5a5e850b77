package dev.veil.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@link LinuxTun#interfaceMtu} answers as `ip link show` would: the loopback interface's MTU (which every network
 * namespace has, and /sys/class/net shows for the test runner's own), -1 for an interface that does not exist and for
 * names no interface can have.
 */
class InterfaceMtuTest {
    @Test
    void loopbackHasItsMtuAndMissingInterfacesHaveNone() throws Exception {
        int expected = Integer.parseInt(Files.readString(Path.of("/sys/class/net/lo/mtu")).strip());
        assertEquals(expected, LinuxTun.interfaceMtu("lo"));
        assertEquals(-1, LinuxTun.interfaceMtu("veil-nosuch0"));
        assertEquals(-1, LinuxTun.interfaceMtu("sixteen-chars-xx"), "longer than IFNAMSIZ - 1");
        assertEquals(-1, LinuxTun.interfaceMtu(""));
        assertEquals(-1, LinuxTun.interfaceMtu("l o"), "a space");
        assertEquals(-1, LinuxTun.interfaceMtu("lö"), "not ASCII");
    }
}
