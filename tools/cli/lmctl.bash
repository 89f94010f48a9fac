# bash completion for lmctl: commands, each command's options and their values, and
# container names from `lmctl list -r` (when the agent or the state directory answers).
# Self-contained: it needs no bash-completion helpers, so it also works when sourced by hand.
# Installed by `make install` as $(PREFIX)/share/bash-completion/completions/lmctl.

_lmctl_commands="init create update destroy run ps wait logs task enter kill pause resume list spec stats top events which version help"
_lmctl_global_opts="--direct --socket= --state-dir= --cgroup-root= --help --version"
_lmctl_spec_opts="--memory= --memory-reservation= --memory-swap= --memory-high= --oom-group
	--priority= --eviction-priority= --cpus= --cpu-reservation= --cpu-shares= --cpu-period= --cpu-burst=
	--cpuset-cpus= --cpuset-mems= --latency= --pids-limit= --blkio-weight= --device-read-bps=
	--device-write-bps= --device-read-iops= --device-write-iops= --ns= --hostname= --uid-map=
	--gid-map= --owner= --max-containers= --help"

# Options of one command (a trailing '=' takes a value).
_lmctl_cmd_opts() {
	case $1 in
	init) echo "--reserve-memory= --reserve-cpus= --json" ;;
	create) echo "$_lmctl_spec_opts" ;;
	update) echo "$_lmctl_spec_opts --force" ;;
	destroy) echo "-r --recursive --force" ;;
	run) echo "-d --detach --attach --task-id= --json --uid= --gid= --env= --cwd=" ;;
	ps) echo "-r --recursive --json" ;;
	wait) echo "--json" ;;
	logs) echo "-f --follow" ;;
	task) echo "-f --force -s --signal= --json" ;;
	kill) echo "-s --signal= -r --recursive" ;;
	list) echo "-r --pids --json" ;;
	spec) echo "--json" ;;
	stats) echo "-r --json --bytes --fields=" ;;
	top) echo "-d -n --interval= --iterations= --once --json --sort=" ;;
	events) echo "--oom --memory-threshold= --empty --exit --started --evicted --lifecycle --since= --json" ;;
	which | version) echo "--json" ;;
	esac
}

# Container names, asked of lmctl itself with the global options typed so far; nothing when
# neither the agent nor the state directory answers within two seconds.
_lmctl_names() {
	timeout 2 "${_lmctl_prog:-lmctl}" "${_lmctl_globals[@]}" list -r 2>/dev/null |
		sed 's/^ *//' | grep -v '^/$'
}

# Values of an option that takes one; $2 is what was typed of the value.
_lmctl_values() {
	local opt=$1 cur=$2 head
	case $opt in
	--ns)
		head=
		[[ $cur == *,* ]] && head=${cur%,*},
		compgen -P "$head" -W "pid mnt uts ipc net user cgroup" -- "${cur##*,}"
		;;
	--latency) compgen -W "latency-sensitive batch" -- "$cur" ;;
	--sort) compgen -W "name cpu mem pids ooms" -- "$cur" ;;
	-s | --signal) compgen -W "KILL TERM INT HUP QUIT USR1 USR2 STOP CONT" -- "$cur" ;;
	--owner | --uid) compgen -u -- "$cur" ;;
	--gid) compgen -g -- "$cur" ;;
	--cwd | --state-dir) compgen -d -- "$cur" ;;
	--socket) compgen -f -- "$cur" ;;
	--device-read-bps | --device-write-bps | --device-read-iops | --device-write-iops)
		compgen -f -- "${cur:-/dev/}"
		;;
	esac
}

_lmctl() {
	local -a words=() _lmctl_globals=()
	local i w cword=0 cur opt cmd="" cmd_at=0 dashdash=0 _lmctl_prog
	# Join what COMP_WORDBREAKS split at '=' back into "--opt=value" words.
	for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
		w=${COMP_WORDS[i]}
		if ((${#words[@]})) && [[ ${words[-1]} == -* ]] &&
			{ [[ $w == = ]] || { ((i > 0)) && [[ ${COMP_WORDS[i - 1]} == = ]]; }; }; then
			words[-1]+=$w
		else
			words+=("$w")
		fi
		((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))
	done
	cur=${words[cword]}
	_lmctl_prog=${words[0]}

	# The command is the first word that is no global option (or its value).
	for ((i = 1; i < cword; i++)); do
		w=${words[i]}
		if [[ -z $cmd ]]; then
			case $w in
			--socket | --state-dir | --cgroup-root)
				_lmctl_globals+=("$w" "${words[i + 1]}")
				((i++))
				;;
			-*) _lmctl_globals+=("$w") ;;
			*)
				cmd=$w
				cmd_at=$i
				;;
			esac
		elif [[ $w == -- ]]; then
			dashdash=$i
			break
		fi
	done

	# After `run ... --`: the command, then its files.
	if ((dashdash)); then
		if ((cword == dashdash + 1)); then
			mapfile -t COMPREPLY < <(compgen -c -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		fi
		return 0
	fi

	# A value: "--opt=value" in one word, or the word after "-s"/"--opt" given alone.
	if [[ $cur == --*=* ]]; then
		opt=${cur%%=*}
		# Readline replaces the text after '=' when COMP_WORDBREAKS holds it (the default),
		# else the whole word.
		local prefix=
		[[ ${COMP_WORDS[COMP_CWORD]} == --*=* ]] && prefix=$opt=
		mapfile -t COMPREPLY < <(_lmctl_values "$opt" "${cur#*=}" | sed "s|^|$prefix|")
		return 0
	fi
	if ((cword > 1)); then
		case ${words[cword - 1]} in
		-s | --socket | --state-dir | --cgroup-root | --signal)
			mapfile -t COMPREPLY < <(_lmctl_values "${words[cword - 1]}" "$cur")
			return 0
			;;
		-d | -n)
			[[ $cmd == top ]] && return 0
			;;
		esac
	fi

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			mapfile -t COMPREPLY < <(compgen -W "$_lmctl_global_opts" -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "$_lmctl_commands" -- "$cur")
		fi
	elif [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_lmctl_cmd_opts "$cmd") --help" -- "$cur")
	else
		case $cmd in
		help) ((cword == cmd_at + 1)) &&
			mapfile -t COMPREPLY < <(compgen -W "$_lmctl_commands" -- "$cur") ;;
		version | init) ;;
		task)
			if ((cword == cmd_at + 1)); then
				mapfile -t COMPREPLY < <(compgen -W "rm kill show" -- "$cur")
			else
				mapfile -t COMPREPLY < <(compgen -W "$(_lmctl_names)" -- "$cur")
			fi
			;;
		run)
			# The container name, then `--` before the command.
			local named=0
			for ((i = cmd_at + 1; i < cword; i++)); do
				case ${words[i - 1]} in
				-e | --env | --uid | --gid | --cwd) continue ;;
				esac
				[[ ${words[i]} == -* ]] || named=1
			done
			if ((named)); then
				COMPREPLY=(--)
			else
				mapfile -t COMPREPLY < <(compgen -W "$(_lmctl_names)" -- "$cur")
			fi
			;;
		enter)
			local named=0
			for ((i = cmd_at + 1; i < cword; i++)); do
				[[ ${words[i]} == -* ]] || named=1
			done
			if ((named)); then
				mapfile -t COMPREPLY < <(compgen -W "$(cd /proc && echo [0-9]*)" -- "$cur")
			else
				mapfile -t COMPREPLY < <(compgen -W "$(_lmctl_names)" -- "$cur")
			fi
			;;
		create)
			# A new name: offer existing containers as parents ("jobA/").
			mapfile -t COMPREPLY < <(compgen -S / -W "$(_lmctl_names)" -- "$cur")
			compopt -o nospace 2>/dev/null
			;;
		*) mapfile -t COMPREPLY < <(compgen -W "$(_lmctl_names)" -- "$cur") ;;
		esac
	fi
	# "--memory=" waits for its value: no space after it.
	[[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null
	return 0
}

complete -F _lmctl lmctl
