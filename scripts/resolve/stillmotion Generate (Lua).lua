--[[
stillmotion Generate (Lua): generate at the playhead where Resolve runs only Lua menu scripts.

Why Lua: DaVinci Resolve 21.1 moved Python scripting to Studio, so the free Resolve 21.1+ runs
only Lua menu scripts. This launcher cannot import stillmotion; instead it exports the current
timeline as OTIO (Export with resolve.EXPORT_OTIO: a string silently writes nothing), runs the
`stillmotion generate TIMELINE --at TC --prompt ... --for resolve -o OUT.otio` command recorded by
install_resolve_scripts.py, and imports the result as a NEW timeline with ImportTimelineFromFile
(the current timeline is not edited: Lua cannot place clips the way the Python front end does).
The viewer still (ExportCurrentFrameAsStill) is passed with --image when the installed command
offers that option; otherwise the command grabs the ungraded source frame itself.
]]

local CONFIG_NAME = "stillmotion_resolve.ini"
local SEP = package.config:sub(1, 1)
local WINDOWS = SEP == "\\"

local launcher = {}

local function script_folder()
  local source = debug.getinfo(1, "S").source
  if source:sub(1, 1) == "@" then
    return source:sub(2):match("^(.*)[/\\][^/\\]*$")
  end
  return nil
end

-- Read the installer's ini: `key = value` lines under [stillmotion].
function launcher.read_config(folders)
  for _, folder in ipairs(folders) do
    local file = io.open(folder .. SEP .. CONFIG_NAME, "r")
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

function launcher.quote(text)
  if WINDOWS then
    return '"' .. (text:gsub('"', '\\"')) .. '"'
  end
  return "'" .. (text:gsub("'", "'\\''")) .. "'"
end

-- Run argv with stdout and stderr into `log`; true when it exited 0.
function launcher.run(argv, log)
  local parts = {}
  for index, arg in ipairs(argv) do parts[index] = launcher.quote(arg) end
  local command = table.concat(parts, " ") .. " > " .. launcher.quote(log) .. " 2>&1"
  if WINDOWS then command = '"' .. command .. '"' end
  local first, _, code = os.execute(command)
  if type(first) == "number" then return first == 0 end -- Lua 5.1 / LuaJIT
  return first == true and (code == nil or code == 0)
end

local function exists(path)
  local file = io.open(path, "r")
  if file then file:close() end
  return file ~= nil
end

-- Pause without blocking Resolve: Fusion's bmd.wait where it exists, else a short busy wait.
local function pause(seconds)
  if bmd and bmd.wait then bmd.wait(seconds) return end
  local stop = os.clock() + seconds
  while os.clock() < stop do end
end

-- ExportCurrentFrameAsStill can return before the file is written: wait for it (bounded).
local function wait_for_file(path, seconds)
  for _ = 1, math.ceil(seconds / 0.1) do
    local file = io.open(path, "rb")
    if file then
      local size = file:seek("end")
      file:close()
      if size and size > 0 then return true end
    end
    pause(0.1)
  end
  return false
end

local function read_file(path)
  local file = io.open(path, "r")
  if not file then return "" end
  local text = file:read("*a")
  file:close()
  return text
end

-- The last "stillmotion: ..." line the command printed (its one-sentence error).
function launcher.last_error(log)
  local found
  for line in read_file(log):gmatch("[^\r\n]+") do
    if line:match("^stillmotion: ") then found = line:sub(14) end
  end
  return found or ("the stillmotion command failed; see " .. log)
end

local function safe(name)
  local cleaned = name:gsub("[^%w%._%-]+", "_")
  return cleaned ~= "" and cleaned or "untitled"
end

local function make_folder(path)
  if WINDOWS then
    os.execute('if not exist "' .. path .. '" mkdir "' .. path .. '"')
  else
    os.execute("mkdir -p " .. launcher.quote(path))
  end
end

-- The whole job on the Edit page (the editor's page is put back); returns (message,
-- new_timeline) or raises error("stillmotion: ...").
local function fail(text) error("stillmotion: " .. text, 0) end

function launcher.generate(resolve, answers, config)
  if not config or (config.cli or "") == "" then
    fail("not set up; run `python scripts/install_resolve_scripts.py` with the Python that has " ..
         "stillmotion, then try again.")
  end
  local manager = resolve:GetProjectManager()
  local project = manager and manager:GetCurrentProject()
  if not project then fail("no project is open in DaVinci Resolve; open one and try again.") end
  local timeline = project:GetCurrentTimeline()
  if not timeline then fail("the project has no current timeline; open one and try again.") end
  -- Resolve reports the playhead only on the Cut, Edit, Color and Deliver pages.
  local page = resolve:GetCurrentPage()
  if page ~= "edit" then resolve:OpenPage("edit") end
  local ok, message, imported = pcall(launcher.run_job, resolve, project, timeline, answers,
                                      config)
  if page and page ~= "edit" then resolve:OpenPage(page) end
  if not ok then error(message, 0) end
  return message, imported
end

function launcher.run_job(resolve, project, timeline, answers, config)
  local timecode = timeline:GetCurrentTimecode()
  if not timecode or timecode == "" then fail("Resolve did not report the playhead; try again.") end
  if not answers.prompt or answers.prompt:match("^%s*$") then
    fail("the prompt is empty; describe the shot and its camera move.")
  end

  local folder = config.media_dir .. SEP .. safe(project:GetName())
  make_folder(folder)
  local stamp = os.date("%Y%m%d-%H%M%S")
  local base = folder .. SEP .. safe(timeline:GetName()) .. "-" .. stamp
  local exported, result, log = base .. ".otio", base .. "-ai.otio", base .. ".log"
  if not timeline:Export(exported, resolve.EXPORT_OTIO) or not exists(exported) then
    fail("Resolve did not export the timeline as OTIO (Export returned false); check that " ..
         folder .. " is writable.")
  end
  local argv = {config.cli, "generate", exported, "--at", timecode, "--prompt", answers.prompt,
                "--for", "resolve", "-o", result, "--media-dir", folder}
  if (answers.seconds or "") ~= "" then
    table.insert(argv, "--seconds"); table.insert(argv, answers.seconds)
  end
  if (answers.provider or "") ~= "" then
    table.insert(argv, "--provider"); table.insert(argv, answers.provider)
  end
  launcher.run({config.cli, "generate", "--help"}, log)
  if read_file(log):find("--image", 1, true) then
    local still = base .. ".png"
    if not project:ExportCurrentFrameAsStill(still) then
      fail("Resolve did not export the viewer frame (ExportCurrentFrameAsStill returned false); " ..
           "try again.")
    end
    if not wait_for_file(still, 10) then
      fail("Resolve's still export " .. still .. " never appeared; check the folder is writable " ..
           "and try again.")
    end
    table.insert(argv, "--image"); table.insert(argv, still)
  end
  if not launcher.run(argv, log) then fail(launcher.last_error(log)) end

  local name = timeline:GetName() .. " + AI " .. stamp
  local media_pool = project:GetMediaPool()
  local imported = media_pool:ImportTimelineFromFile(result, {
    timelineName = name, importSourceClips = true,
  })
  timeline:SetCurrentTimecode(timecode)
  if not imported then
    fail("Resolve did not import " .. result .. " (ImportTimelineFromFile returned nothing); " ..
         "import it with File > Import > Timeline.")
  end
  return "the generated clip is on the 'AI Generated' track of the new timeline '" .. name ..
         "' at " .. timecode .. ".", imported
end

-- The dialog: prompt, seconds, provider; nil when cancelled.
function launcher.ask(fu, bmd)
  local ui = fu.UIManager
  local dispatcher = bmd.UIDispatcher(ui)
  local window = dispatcher:AddWindow(
    {ID = "stillmotionLua", WindowTitle = "stillmotion: generate at playhead",
     Geometry = {200, 160, 560, 280}},
    ui:VGroup{
      ui:Label{Text = "Prompt: framing, action, timing (camera move), lighting, audio"},
      ui:TextEdit{ID = "prompt"},
      ui:HGroup{
        ui:Label{Text = "Seconds"}, ui:LineEdit{ID = "seconds", PlaceholderText = "default"},
        ui:Label{Text = "Provider"}, ui:LineEdit{ID = "provider", PlaceholderText = "preview"},
      },
      ui:Label{Text = "Resolve waits while the clip is generated; a new timeline is added."},
      ui:HGroup{ui:Button{ID = "generate", Text = "Generate"},
                ui:Button{ID = "cancel", Text = "Cancel"}},
    })
  local answers
  local items = window:GetItems()
  window.On.generate.Clicked = function()
    answers = {prompt = items.prompt.PlainText, seconds = items.seconds.Text,
               provider = items.provider.Text}
    dispatcher:ExitLoop()
  end
  window.On.cancel.Clicked = function() dispatcher:ExitLoop() end
  window.On.stillmotionLua.Close = function() dispatcher:ExitLoop() end
  window:Show()
  dispatcher:RunLoop()
  window:Hide()
  return answers
end

-- One sentence in a small window (and in the Console).
function launcher.tell(fu, bmd, text)
  print(text)
  local ui = fu.UIManager
  local dispatcher = bmd.UIDispatcher(ui)
  local window = dispatcher:AddWindow(
    {ID = "stillmotionLuaMessage", WindowTitle = "stillmotion", Geometry = {260, 200, 480, 140}},
    ui:VGroup{ui:Label{Text = text, WordWrap = true}, ui:Button{ID = "ok", Text = "OK"}})
  window.On.ok.Clicked = function() dispatcher:ExitLoop() end
  window.On.stillmotionLuaMessage.Close = function() dispatcher:ExitLoop() end
  window:Show()
  dispatcher:RunLoop()
  window:Hide()
end

-- Where the installer puts this file, for Resolve builds whose chunks carry no file name.
function launcher.user_script_folders()
  local roots
  if WINDOWS then
    roots = {(os.getenv("APPDATA") or "") ..
             "\\Blackmagic Design\\DaVinci Resolve\\Support\\Fusion\\Scripts"}
  else
    local home = os.getenv("HOME") or ""
    roots = {home .. "/Library/Application Support/Blackmagic Design/DaVinci Resolve/Fusion/Scripts",
             home .. "/.local/share/DaVinciResolve/Fusion/Scripts"}
  end
  local folders = {}
  for _, root in ipairs(roots) do
    table.insert(folders, root .. SEP .. "Utility")
    table.insert(folders, root .. SEP .. "Edit")
  end
  return folders
end

function launcher.main(env)
  local folders = launcher.user_script_folders()
  local here = script_folder()
  if here then table.insert(folders, 1, here) end
  local config = launcher.read_config(folders)
  local answers = launcher.ask(env.fu, env.bmd)
  if not answers then return end
  local ok, message = pcall(launcher.generate, env.resolve, answers, config)
  if ok then message = "stillmotion: " .. message end
  launcher.tell(env.fu, env.bmd, message)
end

if STILLMOTION_LAUNCHER_TEST then
  return launcher
end
launcher.main({resolve = resolve or Resolve(), fu = fu or fusion, bmd = bmd})
