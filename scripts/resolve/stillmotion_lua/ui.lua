--[[
stillmotion_lua/ui: the dialog and the one-sentence answer, with Fusion's UIManager.

Why apart from the commands: the commands run (and are tested) without a window; this module is
the only one that needs Fusion's `fu.UIManager` and `bmd.UIDispatcher`.
]]

local sm = ...
local ui_module = {}

-- The menu's commands as the dialog lists them: label -> command name ("generate" makes a new
-- timeline; "place" is generate at the playhead into the current one).
ui_module.CHOICES = {
  {"Generate at playhead", "place"}, {"Generate at playhead into a new timeline", "generate"},
  {"Batch on markers", "batch"},
  {"New take of the clip under the playhead", "take"}, {"Extend the clip under the playhead", "extend"},
  {"Fill the gap under the playhead", "fill-gap"}, {"Review page of this timeline's takes", "review"},
  {"Turn the AI shots over to finishing", "turnover"},
  {"Ingest artists' versions as takes", "ingest"},
}

-- The dialog: command, prompt, seconds, provider, marker colour, handles, format, folder; nil
-- when cancelled.
function ui_module.ask(fu, bmd)
  local ui = fu.UIManager
  local dispatcher = bmd.UIDispatcher(ui)
  local window = dispatcher:AddWindow(
    {ID = "stillmotionLua", WindowTitle = "stillmotion", Geometry = {200, 160, 640, 360}},
    ui:VGroup{
      ui:HGroup{ui:Label{Text = "Command"}, ui:ComboBox{ID = "command"}},
      ui:Label{Text = "Prompt: framing, action, timing (camera move), lighting, audio " ..
                      "(batch: the markers' names and notes)"},
      ui:TextEdit{ID = "prompt"},
      ui:HGroup{
        ui:Label{Text = "Seconds"}, ui:LineEdit{ID = "seconds", PlaceholderText = "default"},
        ui:Label{Text = "Provider"}, ui:LineEdit{ID = "provider", PlaceholderText = "preview"},
        ui:Label{Text = "Markers"}, ui:LineEdit{ID = "color", PlaceholderText = "any colour"},
      },
      ui:HGroup{
        ui:Label{Text = "Handles"}, ui:LineEdit{ID = "handles", PlaceholderText = "8"},
        ui:Label{Text = "Format"}, ui:LineEdit{ID = "format", PlaceholderText = "prores4444"},
        ui:Label{Text = "Folder"},
        ui:LineEdit{ID = "folder", PlaceholderText = "turnover: output; ingest: the versions"},
      },
      ui:Label{Text = "Resolve waits while the command runs."},
      ui:HGroup{ui:Button{ID = "generate", Text = "Run"},
                ui:Button{ID = "cancel", Text = "Cancel"}},
    })
  local answers
  local items = window:GetItems()
  for _, choice in ipairs(ui_module.CHOICES) do items.command:AddItem(choice[1]) end
  window.On.generate.Clicked = function()
    local command = "generate"
    for _, choice in ipairs(ui_module.CHOICES) do
      if choice[1] == items.command.CurrentText then command = choice[2] end
    end
    answers = {command = command, prompt = items.prompt.PlainText, seconds = items.seconds.Text,
               provider = items.provider.Text, color = items.color.Text,
               handles = items.handles.Text, format = items.format.Text,
               folder = items.folder.Text}
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
function ui_module.tell(fu, bmd, text)
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

return ui_module
