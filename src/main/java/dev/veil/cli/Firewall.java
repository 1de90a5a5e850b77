package dev.veil.cli;

import static dev.veil.cli.Shell.onPath;
import static dev.veil.cli.Shell.query;

import java.io.IOException;
import java.io.PrintStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The firewall rules wg-quick adds with a /0 route (its add_default and remove_firewall): drop packets for the
 * interface's addresses that arrive elsewhere and are not local, and carry the fwmark of the tunnel's UDP through
 * conntrack, so that replies follow the marked route. With nftables in a table {@code wg-quick-IFNAME} per family;
 * without nft, with iptables-restore rules marked {@code wg-quick(8) rule for IFNAME}. The same names as wg-quick, so
 * either tool removes the other's. Stateless.
 */
final class Firewall {
    private static final Pattern ADDRESS = Pattern.compile("inet6? ([0-9a-f:.]+)/[0-9]+");

    private Firewall() {}

    /** Adds the rules of one family ({@code -4} or {@code -6}) for the interface and its fwmark {@code table}. */
    static void add(Shell sh, PrintStream err, String ifname, String family, long table) throws IOException, InterruptedException {
        boolean v6 = family.equals("-6");
        String pf = v6 ? "ip6" : "ip", iptables = v6 ? "ip6tables" : "iptables", nftable = "wg-quick-" + ifname;
        String marker = "-m comment --comment \"wg-quick(8) rule for " + ifname + "\"";
        StringBuilder nft = new StringBuilder(), restore = new StringBuilder("*raw\n");
        nft.append("add table ").append(pf).append(' ').append(nftable).append('\n');
        nft.append("add chain ").append(pf).append(' ').append(nftable)
            .append(" preraw { type filter hook prerouting priority -300; }\n");
        nft.append("add chain ").append(pf).append(' ').append(nftable)
            .append(" premangle { type filter hook prerouting priority -150; }\n");
        nft.append("add chain ").append(pf).append(' ').append(nftable)
            .append(" postmangle { type filter hook postrouting priority -150; }\n");
        Matcher m = ADDRESS.matcher(query("ip", "-o", family, "addr", "show", "dev", ifname));
        while (m.find()) {
            restore.append("-I PREROUTING ! -i ").append(ifname).append(" -d ").append(m.group(1))
                .append(" -m addrtype ! --src-type LOCAL -j DROP ").append(marker).append('\n');
            nft.append("add rule ").append(pf).append(' ').append(nftable).append(" preraw iifname != \"").append(ifname)
                .append("\" ").append(pf).append(" daddr ").append(m.group(1)).append(" fib saddr type != local drop\n");
        }
        restore.append("COMMIT\n*mangle\n-I POSTROUTING -m mark --mark ").append(table)
            .append(" -p udp -j CONNMARK --save-mark ").append(marker).append('\n')
            .append("-I PREROUTING -p udp -j CONNMARK --restore-mark ").append(marker).append("\nCOMMIT\n");
        nft.append("add rule ").append(pf).append(' ').append(nftable).append(" postmangle meta l4proto udp mark ")
            .append(table).append(" ct mark set mark\n");
        nft.append("add rule ").append(pf).append(' ').append(nftable)
            .append(" premangle meta l4proto udp meta mark set ct mark\n");
        if (onPath("nft")) {
            if (sh.feed(nft.toString(), "nft -f /dev/stdin", "nft", "-f", "-") != 0) throw new UserError("nft failed");
        } else if (onPath(iptables + "-restore")) {
            String restorer = iptables + "-restore";
            if (sh.feed(restore.toString(), restorer + " -n", restorer, "-n") != 0) throw new UserError(restorer + " failed");
        } else {
            err.println("[!] neither nft nor " + iptables + "-restore is installed: " + ifname
                + "'s addresses are not guarded against packets from other interfaces");
        }
    }

    /** Removes what {@link #add} added for the interface, in both families and both mechanisms. */
    static void remove(Shell sh, String ifname) throws IOException, InterruptedException {
        if (onPath("nft")) {
            StringBuilder nft = new StringBuilder();
            for (String table : query("nft", "list", "tables").lines().toList()) {
                if (table.endsWith(" wg-quick-" + ifname)) nft.append("delete ").append(table).append('\n');
            }
            if (!nft.isEmpty()) sh.feed(nft.toString(), "nft -f /dev/stdin", "nft", "-f", "-");
        }
        for (String iptables : new String[] {"iptables", "ip6tables"}) {
            if (!onPath(iptables + "-save") || !onPath(iptables + "-restore")) continue;
            StringBuilder restore = new StringBuilder();
            boolean found = false;
            for (String line : query(iptables + "-save").lines().toList()) {
                boolean ours = line.startsWith("-A ") && line.contains("-m comment --comment \"wg-quick(8) rule for " + ifname + "\"");
                if (!line.startsWith("*") && !line.equals("COMMIT") && !ours) continue;
                found |= ours;
                restore.append(ours ? "-D" + line.substring(2) : line).append('\n');
            }
            if (found) sh.feed(restore.toString(), iptables + "-restore -n", iptables + "-restore", "-n");
        }
    }
}
