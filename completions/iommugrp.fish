# fish completion for iommugrp(8); installed as $FISHCOMPDIR/iommugrp.fish
#
# To add a command: add a line to the command table below, its options at the
# end (conditioned on __iommugrp_using CMD), and its positional arguments to
# __iommugrp_complete_args.

# Options whose argument may be the next token.
set -g __iommugrp_opts_with_arg --sysroot --output -o --user --group --udev

# __iommugrp_parse: set __iommugrp_cmd (the command, empty if none yet) and
# __iommugrp_args (positional arguments after it) from the tokens before the cursor.
function __iommugrp_parse
    set -g __iommugrp_cmd
    set -g __iommugrp_args
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l skip 0
    set -l dashdash 0
    for t in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        if test $dashdash = 0; and string match -qr -- '^-.' $t
            if test "$t" = --
                set dashdash 1
            else if contains -- $t $__iommugrp_opts_with_arg
                set skip 1
            else if string match -qr -- '^-[JrnlV?]*o$' $t
                # -Jo LIST
                set skip 1
            end
        else if test -z "$__iommugrp_cmd"
            set -g __iommugrp_cmd $t
        else
            set -g -a __iommugrp_args $t
        end
    end
end

function __iommugrp_no_command
    __iommugrp_parse
    test -z "$__iommugrp_cmd"
end

# __iommugrp_using CMD...: the command on the line is one of CMD.
function __iommugrp_using
    __iommugrp_parse
    contains -- "$__iommugrp_cmd" $argv
end

# Run the iommugrp on the line with the --sysroot given there, if any.
function __iommugrp_run
    set -l tokens (commandline -opc)
    set -l sysroot
    for i in (seq 2 (count $tokens))
        switch $tokens[$i]
            case --
                break
            case --sysroot
                set -q tokens[(math $i + 1)]; and set sysroot --sysroot $tokens[(math $i + 1)]
            case '--sysroot=*'
                set sysroot --sysroot (string replace -- --sysroot= '' $tokens[$i])
        end
    end
    # Expand a leading ~ the shell has not expanded yet.
    set sysroot (string replace -r -- '^~(?=/|$)' $HOME $sysroot)
    command iommugrp $sysroot $argv 2>/dev/null </dev/null
end

# TARGET: live group numbers and device names.
function __iommugrp_targets
    set -l seen
    __iommugrp_run -r -n -o GROUP,NAME -l | while read -l group name
        test -n "$group" -a -n "$name"; or continue
        if string match -qr -- '^group\\\\x20' $name
            set name $group
            set desc 'IOMMU group'
        else
            set desc "device in group $group"
        end
        contains -- $name $seen $__iommugrp_args; and continue
        set -a seen $name
        printf '%s\t%s\n' $name $desc
    end
end

function __iommugrp_columns
    # "  NAME  description" lines; the static list if iommugrp cannot be run.
    set -l lines (__iommugrp_run --list-columns | string trim)
    set -q lines[1]; or set lines NAME GROUP TYPE DEVICES VIABLE VFIO SUBSYSTEM CLASS CLASSID ID VENDOR MODEL DRIVER OVERRIDE PATH REASON
    # -o LIST: comma-separated, a leading + appends to the defaults.
    set -l cur (commandline -ct)
    set cur (string replace -r -- '^(--output=|-[JrnlV?]*o)' '' $cur)
    set -l head (string match -r -- '^.*,|^\+' $cur); or set head ''
    set -l used (string split , -- (string upper -- (string trim -c + -- $head)))
    for l in $lines
        set -l c (string replace -r -- '\s.*' '' $l)
        contains -- $c $used; and continue
        printf '%s\t%s\n' $head$c (string replace -r -- '^\S+\s*' '' $l)
    end
end

# Positional arguments: the next one after what is already there.
function __iommugrp_complete_args
    __iommugrp_parse
    set -l n (math (count $__iommugrp_args) + 1)
    switch "$__iommugrp_cmd:$n"
        case show:1 why:1 set-policy:1 'vfio-bind:*' 'vfio-release:*'
            __iommugrp_targets
        case set-policy:2
            printf '%s\t%s\n' identity 'no translation' DMA 'strict translation' \
                DMA-FQ 'lazy (flush queue) translation' auto 'kernel default' \
                passthrough 'alias of identity' strict 'alias of DMA' \
                lazy 'alias of DMA-FQ' default 'alias of auto'
    end
end

complete -c iommugrp -f

# Commands.
complete -c iommugrp -n __iommugrp_no_command -a list -d 'List every IOMMU group and its devices'
complete -c iommugrp -n __iommugrp_no_command -a show -d 'Show everything about one group'
complete -c iommugrp -n __iommugrp_no_command -a status -d 'Is an IOMMU active; kernel rules, boot policy, vfio-pci'
complete -c iommugrp -n __iommugrp_no_command -a set-policy -d "Switch a group's DMA policy"
complete -c iommugrp -n __iommugrp_no_command -a vfio-bind -d 'Hand whole groups to vfio-pci'
complete -c iommugrp -n __iommugrp_no_command -a vfio-release -d 'Give whole groups back to the drivers they had'
complete -c iommugrp -n __iommugrp_no_command -a restore -d 'Undo interrupted operations from their journals'
complete -c iommugrp -n __iommugrp_no_command -a check-config -d 'Check /etc/iommugrp.conf: syntax, matches, conflicts'
complete -c iommugrp -n __iommugrp_no_command -a apply -d 'Converge the groups to /etc/iommugrp.conf now'
complete -c iommugrp -n __iommugrp_no_command -a why -d 'Explain why devices share a group, and what would split it'

# Command arguments.
complete -c iommugrp -n 'not __iommugrp_no_command' -a '(__iommugrp_complete_args)'

# Common options, before or after the command.
complete -c iommugrp -l sysroot -x -a '(__fish_complete_directories)' -d 'Read the system below DIR instead of /'
complete -c iommugrp -s J -l json -d 'Use JSON output'
complete -c iommugrp -s o -l output -x -a '(__iommugrp_columns)' -d 'Output columns (+LIST adds to the defaults)'
complete -c iommugrp -l list-columns -d 'List the output columns and exit'
complete -c iommugrp -s r -l raw -d 'Raw output'
complete -c iommugrp -s n -l noheadings -d 'Do not print headings'
complete -c iommugrp -s l -l list -d 'Flat list instead of a tree'
complete -c iommugrp -l color -a 'auto always never' -d 'Colorize (--color=WHEN)'
complete -c iommugrp -s '?' -l help -d 'Give the help list'
complete -c iommugrp -l usage -d 'Give a short usage message'
complete -c iommugrp -s V -l version -d 'Print program version'

# Command options.
complete -c iommugrp -n '__iommugrp_using set-policy vfio-bind vfio-release restore apply' -l dry-run -d 'Print every sysfs write, in order; change nothing'
complete -c iommugrp -n '__iommugrp_using set-policy apply' -l unbind -d 'Unbind the drivers the kernel wants gone, rebind them afterwards'
complete -c iommugrp -n '__iommugrp_using vfio-bind set-policy' -l force -d 'Take devices the host needs too'
complete -c iommugrp -n '__iommugrp_using vfio-bind' -l user -x -a '(__fish_complete_users)' -d 'Give /dev/vfio files to USER'
complete -c iommugrp -n '__iommugrp_using vfio-bind' -l group -x -a '(__fish_complete_groups)' -d 'Give /dev/vfio files to GROUP'
complete -c iommugrp -n '__iommugrp_using set-policy vfio-bind vfio-release' -l save -d 'Also write (or remove) the entry in /etc/iommugrp.d/90-saved.conf'
complete -c iommugrp -n '__iommugrp_using check-config' -l digest -d "Print only the configuration's digest"
complete -c iommugrp -n '__iommugrp_using apply' -l udev -x -d "The udev rule's entry point for DEVPATH"
