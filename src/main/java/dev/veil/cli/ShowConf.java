package dev.veil.cli;

import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** The configuration of a running interface in {@code wg showconf}'s format, from its UAPI status. Stateless. */
final class ShowConf {
    private ShowConf() {}

    /** The whole text, starting with {@code [Interface]}. */
    static String text(UapiClient.Status s) {
        return "[Interface]\n" + body(s);
    }

    /** Everything after the {@code [Interface]} line. */
    static String body(UapiClient.Status s) {
        StringBuilder b = new StringBuilder();
        Map<String, String> d = s.device();
        if (d.containsKey("listen_port") && !d.get("listen_port").equals("0")) b.append("ListenPort = ").append(d.get("listen_port")).append('\n');
        if (d.containsKey("fwmark") && !d.get("fwmark").equals("0")) {
            b.append("FwMark = 0x").append(Long.toHexString(Long.parseLong(d.get("fwmark")))).append('\n');
        }
        if (d.containsKey("private_key")) b.append("PrivateKey = ").append(b64(d.get("private_key"))).append('\n');
        for (Map<String, List<String>> p : s.peers()) {
            b.append("\n[Peer]\n");
            b.append("PublicKey = ").append(b64(s.first(p, "public_key"))).append('\n');
            String psk = s.first(p, "preshared_key");
            if (psk != null && !psk.matches("0+")) b.append("PresharedKey = ").append(b64(psk)).append('\n');
            List<String> ips = p.getOrDefault("allowed_ip", List.of());
            if (!ips.isEmpty()) b.append("AllowedIPs = ").append(String.join(", ", ips)).append('\n');
            String ep = s.first(p, "endpoint");
            if (ep != null) b.append("Endpoint = ").append(ep).append('\n');
            String ka = s.first(p, "persistent_keepalive_interval");
            if (ka != null && !ka.equals("0")) b.append("PersistentKeepalive = ").append(ka).append('\n');
        }
        return b.toString();
    }

    private static String b64(String hex) {
        return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex));
    }
}
