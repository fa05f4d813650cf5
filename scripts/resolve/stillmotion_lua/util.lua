--[[
stillmotion_lua/util: files, shell commands and the one-sentence failure every module shares.

Why one module: the launcher talks to the world only through files and two programs (the
`stillmotion` command and the Python bridge), and every failure is raised the same way,
error("stillmotion: ...") with no traceback, so the dialog shows one sentence.
]]

local sm = ...
local util = {}
local SEP = package.config:sub(1, 1)
util.SEP, util.WINDOWS = SEP, SEP == "\\"
util.CONFIG_NAME = "stillmotion_resolve.ini"

function util.fail(text) error("stillmotion: " .. text, 0) end

function util.quote(text)
  if util.WINDOWS then
    return '"' .. (text:gsub('"', '\\"')) .. '"'
  end
  return "'" .. (text:gsub("'", "'\\''")) .. "'"
end

-- Run argv with stdout and stderr into `log`; true when it exited 0.
function util.run(argv, log)
  local parts = {}
  for index, arg in ipairs(argv) do parts[index] = util.quote(arg) end
  local command = table.concat(parts, " ") .. " > " .. util.quote(log) .. " 2>&1"
  if util.WINDOWS then command = '"' .. command .. '"' end
  local first, _, code = os.execute(command)
  if type(first) == "number" then return first == 0 end -- Lua 5.1 / LuaJIT
  return first == true and (code == nil or code == 0)
end

function util.exists(path)
  local file = io.open(path, "r")
  if file then file:close() end
  return file ~= nil
end

-- Pause without blocking Resolve: Fusion's bmd.wait where it exists, else a short busy wait.
function util.pause(seconds)
  if bmd and bmd.wait then bmd.wait(seconds) return end
  local stop = os.clock() + seconds
  while os.clock() < stop do end
end

-- ExportCurrentFrameAsStill can return before the file is written: wait for it (bounded).
function util.wait_for_file(path, seconds)
  for _ = 1, math.ceil(seconds / 0.1) do
    local file = io.open(path, "rb")
    if file then
      local size = file:seek("end")
      file:close()
      if size and size > 0 then return true end
    end
    util.pause(0.1)
  end
  return false
end

function util.read_file(path)
  local file = io.open(path, "r")
  if not file then return "" end
  local text = file:read("*a")
  file:close()
  return text
end

function util.lines_of(path)
  local found = {}
  for line in util.read_file(path):gmatch("[^\r\n]+") do table.insert(found, line) end
  return found
end

function util.split_tabs(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do table.insert(fields, field) end
  return fields
end

-- The last "stillmotion: ..." line a command printed (its one-sentence error).
function util.last_error(log)
  local found
  for _, line in ipairs(util.lines_of(log)) do
    if line:match("^stillmotion: ") then found = line:sub(14) end
  end
  return found or ("the stillmotion command failed; see " .. log)
end

function util.safe(name)
  local cleaned = name:gsub("[^%w%._%-]+", "_")
  return cleaned ~= "" and cleaned or "untitled"
end

function util.make_folder(path)
  if util.WINDOWS then
    os.execute('if not exist "' .. path .. '" mkdir "' .. path .. '"')
  else
    os.execute("mkdir -p " .. util.quote(path))
  end
end

-- Read the installer's ini: `key = value` lines under [stillmotion].
function util.read_config(folders)
  for _, folder in ipairs(folders) do
    local file = io.open(folder .. SEP .. util.CONFIG_NAME, "r")
    if file then
      local config = {}
      for line in file:lines() do
        local key, value = line:match("^%s*([%w_]+)%s*=%s*(.-)%s*$")
        if key then config[key] = value end
      end
      file:close()
      return config
    end
  end
  return nil
end

-- Run `stillmotion ARGS...` (the command the installer recorded); fails with its sentence.
function util.cli(config, args, log)
  local argv = {config.cli}
  for _, arg in ipairs(args) do table.insert(argv, arg) end
  if not util.run(argv, log) then util.fail(util.last_error(log)) end
end

-- Run the Python bridge (stillmotion.resolve.lua_bridge) with the recorded Python; the lines
-- it wrote to `out` (default: a scratch file beside `base`).
function util.bridge(config, args, base, out)
  if (config.python or "") == "" then util.fail("not set up; run the installer again.") end
  out = out or base .. "-bridge.txt"
  local log = base .. "-bridge.log"
  local argv = {config.python, "-m", "stillmotion.resolve.lua_bridge", args[1], "--out", out}
  for index = 2, #args do table.insert(argv, args[index]) end
  if not util.run(argv, log) then util.fail(util.last_error(log)) end
  return util.lines_of(out)
end

return util
