package dev.veil.linux;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The credentials in one {@code /proc/<pid>/task/<tid>/status} file: the name, the four uids and gids (real,
 * effective, saved, filesystem), the supplementary groups, the capability sets and no_new_privs. An immutable value.
 */
record ThreadStatus(String name, List<Long> uids, List<Long> gids, List<Long> groups, long permitted, long effective,
        long ambient, boolean noNewPrivs) {

    static ThreadStatus read(Path status) throws IOException {
        return parse(readProc(status));
    }

    /**
     * A /proc file's text, in one read with a large buffer: a sysctl file answers a read at a later offset with end
     * of file, and Files.readString of a file whose size shows as 0 reads the first byte alone.
     */
    static String readProc(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    static ThreadStatus parse(String text) {
        String name = "";
        List<Long> uids = List.of(), gids = List.of(), groups = List.of();
        long prm = 0, eff = 0, amb = 0;
        boolean nnp = false;
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String value = line.substring(colon + 1).strip();
            switch (line.substring(0, colon)) {
                case "Name" -> name = value;
                case "Uid" -> uids = numbers(value);
                case "Gid" -> gids = numbers(value);
                case "Groups" -> groups = numbers(value);
                case "CapPrm" -> prm = Long.parseUnsignedLong(value, 16);
                case "CapEff" -> eff = Long.parseUnsignedLong(value, 16);
                case "CapAmb" -> amb = Long.parseUnsignedLong(value, 16);
                case "NoNewPrivs" -> nnp = value.equals("1");
                default -> { }
            }
        }
        return new ThreadStatus(name, uids, gids, groups, prm, eff, amb, nnp);
    }

    private static List<Long> numbers(String value) {
        if (value.isEmpty()) return List.of();
        return java.util.Arrays.stream(value.split("\\s+")).map(Long::parseLong).toList();
    }

    boolean uidsAre(int uid) {
        return uids.size() == 4 && uids.stream().allMatch(u -> u == Integer.toUnsignedLong(uid));
    }

    boolean gidsAre(int gid) {
        return gids.size() == 4 && gids.stream().allMatch(g -> g == Integer.toUnsignedLong(gid));
    }
}
