package dev.veil.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code veil show [NAME] [--json]}: the status of Veil (or any userspace WireGuard) interfaces, in the same text
 * as {@code wg show}, or as JSON. Private and pre-shared keys are never printed.
 */
@Command(name = "show", description = "Show interfaces as wg show does (or --json).")
final class ShowCommand implements Callable<Integer> {
    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Interface (default: all).")
    String name;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        boolean every = name == null || name.equals("all");
        List<String> names = every ? UapiClient.interfaces() : List.of(name);
        List<UapiClient.Status> all = new ArrayList<>();
        for (String n : names) {
            try {
                all.add(UapiClient.get(n));
            } catch (IOException e) {
                if (!every) throw new UserError("show: " + e.getMessage());
                // As wg show all: a stale socket (a daemon that died) is reported and skipped.
                System.err.println("Unable to access interface " + n + ": " + e.getMessage());
            }
        }
        PrintStream out = System.out;
        long now = System.currentTimeMillis() / 1000;
        if (json) out.println(json(all, stats(all)));
        else for (int i = 0; i < all.size(); i++) {
            if (i > 0) out.println();
            out.print(text(all.get(i), now));
        }
        return all.isEmpty() && !names.isEmpty() ? 1 : 0;
    }

    /** The wg show text of one interface, at unix time {@code now}. */
    static String text(UapiClient.Status s, long now) {
        StringBuilder b = new StringBuilder();
        b.append("interface: ").append(s.name()).append('\n');
        String priv = s.device().get("private_key");
        if (priv != null) {
            b.append("  public key: ").append(b64(publicOf(priv))).append('\n');
            b.append("  private key: (hidden)\n");
        }
        String port = s.device().get("listen_port");
        if (port != null && !port.equals("0")) b.append("  listening port: ").append(port).append('\n');
        String fwmark = s.device().get("fwmark");
        if (fwmark != null && !fwmark.equals("0")) b.append("  fwmark: 0x").append(Long.toHexString(Long.parseLong(fwmark))).append('\n');
        List<Map<String, List<String>>> peers = new ArrayList<>(s.peers());
        // As wg: the latest handshake (seconds, then nanoseconds) first; a stable sort keeps ties in the device's order.
        peers.sort(Comparator.comparingLong((Map<String, List<String>> p) -> handshake(s, p))
            .thenComparingLong(p -> num(s.first(p, "last_handshake_time_nsec"))).reversed());
        if (!peers.isEmpty()) b.append('\n');
        for (int i = 0; i < peers.size(); i++) {
            Map<String, List<String>> p = peers.get(i);
            b.append("peer: ").append(b64(s.first(p, "public_key"))).append('\n');
            String psk = s.first(p, "preshared_key");
            if (psk != null && !psk.matches("0+")) b.append("  preshared key: (hidden)\n");
            String ep = s.first(p, "endpoint");
            if (ep != null) b.append("  endpoint: ").append(ep).append('\n');
            List<String> ips = p.getOrDefault("allowed_ip", List.of());
            b.append("  allowed ips: ").append(ips.isEmpty() ? "(none)" : String.join(", ", ips)).append('\n');
            long hs = handshake(s, p);
            if (hs != 0) b.append("  latest handshake: ").append(ago(now, hs)).append('\n');
            long rx = num(s.first(p, "rx_bytes")), tx = num(s.first(p, "tx_bytes"));
            if (rx != 0 || tx != 0) b.append("  transfer: ").append(bytes(rx)).append(" received, ").append(bytes(tx)).append(" sent\n");
            long ka = num(s.first(p, "persistent_keepalive_interval"));
            if (ka != 0) b.append("  persistent keepalive: every ").append(pretty(ka)).append('\n');
            if (i + 1 < peers.size()) b.append('\n');
        }
        return b.toString();
    }

    private static long handshake(UapiClient.Status s, Map<String, List<String>> p) {
        return num(s.first(p, "last_handshake_time_sec"));
    }

    private static long num(String v) {
        return v == null ? 0 : Long.parseLong(v);
    }

    private static byte[] publicOf(String privateHex) {
        byte[] k = HexFormat.of().parseHex(privateHex);
        byte[] pub = dev.veil.crypto.X25519.publicKey(dev.veil.crypto.X25519.clamp(k));
        java.util.Arrays.fill(k, (byte) 0);
        return pub;
    }

    private static String b64(String hex) {
        return hex == null ? "(none)" : b64(HexFormat.of().parseHex(hex));
    }

    private static String b64(byte[] k) {
        return Base64.getEncoder().encodeToString(k);
    }

    static String ago(long now, long then) {
        if (now == then) return "Now";
        if (now < then) return "(System clock wound backward; connection problems may ensue.)";
        return pretty(now - then) + " ago";
    }

    /** "1 hour, 2 minutes, 3 seconds", as wg prints durations. */
    static String pretty(long left) {
        long[] units = {365L * 24 * 3600, 24 * 3600, 3600, 60, 1};
        String[] names = {"year", "day", "hour", "minute", "second"};
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < units.length; i++) {
            long n = left / units[i];
            left %= units[i];
            if (n != 0) parts.add(n + " " + names[i] + (n == 1 ? "" : "s"));
        }
        return String.join(", ", parts);
    }

    /** "123 B", "1.50 KiB", ... as wg prints byte counts. */
    static String bytes(long b) {
        if (b < 1024) return b + " B";
        String[] u = {"KiB", "MiB", "GiB", "TiB"};
        double v = b / 1024.0;
        int i = 0;
        while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
        return String.format(java.util.Locale.ROOT, "%.2f %s", v, u[i]);
    }

    /** Veil's counters of each interface that has them (none for wireguard-go), by interface name. */
    private static Map<String, Map<String, String>> stats(List<UapiClient.Status> all) {
        Map<String, Map<String, String>> m = new java.util.HashMap<>();
        for (UapiClient.Status s : all) {
            try {
                m.put(s.name(), UapiClient.stats(s.name()));
            } catch (IOException e) {
                m.put(s.name(), Map.of());  // an implementation that hangs up on the request has no counters
            }
        }
        return m;
    }

    /**
     * JSON of the interfaces; keys are base64, private and pre-shared keys are left out. An interface with counters
     * in {@code stats} (Veil's {@code veil-stats}) gets them as a {@code "stats"} object of numbers.
     */
    static String json(List<UapiClient.Status> all, Map<String, Map<String, String>> stats) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < all.size(); i++) {
            UapiClient.Status s = all.get(i);
            if (i > 0) b.append(',');
            b.append("{\"interface\":").append(q(s.name()));
            String priv = s.device().get("private_key");
            if (priv != null) b.append(",\"public_key\":").append(q(b64(publicOf(priv))));
            b.append(",\"listen_port\":").append(num(s.device().get("listen_port")));
            b.append(",\"fwmark\":").append(num(s.device().get("fwmark")));
            Map<String, String> counters = stats.getOrDefault(s.name(), Map.of());
            if (!counters.isEmpty()) {
                b.append(",\"stats\":{");
                int k = 0;
                for (var e : counters.entrySet()) {
                    b.append(k++ > 0 ? "," : "").append(q(e.getKey())).append(':').append(num(e.getValue()));
                }
                b.append('}');
            }
            b.append(",\"peers\":[");
            for (int j = 0; j < s.peers().size(); j++) {
                Map<String, List<String>> p = s.peers().get(j);
                if (j > 0) b.append(',');
                String psk = s.first(p, "preshared_key");
                b.append("{\"public_key\":").append(q(b64(s.first(p, "public_key"))));
                b.append(",\"preshared_key\":").append(psk != null && !psk.matches("0+"));
                String ep = s.first(p, "endpoint");
                b.append(",\"endpoint\":").append(ep == null ? "null" : q(ep));
                b.append(",\"allowed_ips\":[");
                List<String> ips = p.getOrDefault("allowed_ip", List.of());
                for (int k = 0; k < ips.size(); k++) b.append(k > 0 ? "," : "").append(q(ips.get(k)));
                b.append("],\"latest_handshake\":").append(handshake(s, p));
                b.append(",\"rx_bytes\":").append(num(s.first(p, "rx_bytes")));
                b.append(",\"tx_bytes\":").append(num(s.first(p, "tx_bytes")));
                b.append(",\"persistent_keepalive\":").append(num(s.first(p, "persistent_keepalive_interval")));
                b.append('}');
            }
            b.append("]}");
        }
        return b.append(']').toString();
    }

    private static String q(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
