package dev.veil.linux;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parts of the privilege drop that need no root: the account lookup through getpwnam/getgrnam, the parsing of
 * {@code /proc/<pid>/task/<tid>/status}, and the check that finds a thread left with too much. The drop itself runs
 * in {@code dev.veil.interop.PrivilegeDropTest} (root, namespaces).
 */
class PrivilegeDropCheckTest {
    private static final Account NOBODY = new Account("nobody", 65534, "nogroup", 65534);

    @TempDir
    Path tasks;

    @Test
    void accountsAreLookedUpByNameOrNumberAndRootIsRefused() {
        Account a = Account.lookup("nobody", null);
        assertEquals(65534, a.uid());
        assertEquals("nobody", a.user());
        Account byNumber = Account.lookup("65534", "65534");
        assertEquals(a.uid(), byNumber.uid());
        assertEquals(65534, byNumber.gid());
        assertEquals("--user no-such-user-x1: no such user",
            assertThrows(IllegalArgumentException.class, () -> Account.lookup("no-such-user-x1", null)).getMessage());
        assertEquals("--group no-such-group-x1: no such group",
            assertThrows(IllegalArgumentException.class, () -> Account.lookup("nobody", "no-such-group-x1")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Account.lookup("root", null)).getMessage()
            .startsWith("--user root: that is root"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Account.lookup("0", null)).getMessage()
            .contains("that is root"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Account.lookup("nobody", "root")).getMessage()
            .contains("root's group"));
    }

    @Test
    void aStatusFileIsParsed() {
        ThreadStatus s = ThreadStatus.parse(status("veil-wg0-priv-0", 65534, "", "1400", "1400", 1));
        assertEquals("veil-wg0-priv-0", s.name());
        assertTrue(s.uidsAre(65534));
        assertTrue(s.gidsAre(65534));
        assertFalse(s.uidsAre(0));
        assertEquals(List.of(), s.groups());
        assertEquals(0x1400, s.permitted());
        assertEquals(0x1400, s.effective());
        assertEquals(0, s.ambient());
        assertTrue(s.noNewPrivs());
        assertEquals(List.of(4L, 27L), ThreadStatus.parse(status("x", 0, "4 27", "0", "0", 0)).groups());
    }

    @Test
    void theCheckPassesADroppedProcessAndNamesEachThreadLeftWithMore() throws Exception {
        task(100, status("veil-wg0-priv-0", 65534, "", "1400", "1400", 1));
        task(101, status("veil-wg0-net-0", 65534, "", "0", "0", 1));
        List<String> problems = new ArrayList<>();
        assertEquals(2, PrivilegeDrop.check(tasks, NOBODY, 100, PrivilegeDrop.KEPT, true, problems));
        assertEquals(List.of(), problems);

        task(102, status("GC Thread#0", 65534, "", "0", "1000", 1));
        task(103, status("C2 CompilerThre", 0, "", "0", "0", 1));
        task(104, status("java", 65534, "0", "0", "0", 1));
        task(105, status("Finalizer", 65534, "", "0", "0", 0));
        problems.clear();
        assertEquals(6, PrivilegeDrop.check(tasks, NOBODY, 100, PrivilegeDrop.KEPT, true, problems));
        String all = String.join("\n", problems);
        assertEquals(5, problems.size(), all);
        assertTrue(all.contains("thread 102 (GC Thread#0) holds capabilities CAP_NET_ADMIN"), all);
        assertTrue(all.contains("thread 103 (C2 CompilerThre) has uids [0, 0, 0, 0]"), all);
        assertTrue(all.contains("thread 103 (C2 CompilerThre) has gids [0, 0, 0, 0]"), all);
        assertTrue(all.contains("thread 104 (java) has supplementary groups [0]"), all);
        assertTrue(all.contains("thread 105 (Finalizer) lacks no_new_privs"), all);

        problems.clear();
        PrivilegeDrop.check(tasks, NOBODY, 101, PrivilegeDrop.KEPT, false, problems);
        assertTrue(String.join("\n", problems).contains("thread 100 (veil-wg0-priv-0) holds capabilities"),
            "only the named privileged thread may hold capabilities: " + problems);
    }

    @Test
    void capabilityNamesAreReadable() {
        assertEquals("CAP_NET_BIND_SERVICE CAP_NET_ADMIN", PrivilegeDrop.capabilityNames(PrivilegeDrop.KEPT));
        assertEquals("capability 21", PrivilegeDrop.capabilityNames(1L << 21));
    }

    private void task(long tid, String text) throws Exception {
        Path dir = Files.createDirectories(tasks.resolve(String.valueOf(tid)));
        Files.writeString(dir.resolve("status"), text);
    }

    private static String status(String name, int id, String groups, String prm, String eff, int nnp) {
        return "Name:\t" + name + "\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\n"
            + "Uid:\t" + id + "\t" + id + "\t" + id + "\t" + id + "\n"
            + "Gid:\t" + id + "\t" + id + "\t" + id + "\t" + id + "\n"
            + "FDSize:\t64\nGroups:\t" + groups + " \n"
            + "CapInh:\t0000000000000000\nCapPrm:\t" + "0".repeat(16 - prm.length()) + prm + "\nCapEff:\t"
            + "0".repeat(16 - eff.length()) + eff + "\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n"
            + "NoNewPrivs:\t" + nnp + "\nSeccomp:\t" + (nnp == 1 ? 2 : 0) + "\n";
    }
}
